"""The exchange document's `shared_changes` section: the site's changes that worked, as they
were shared, each naming its action by cycle number and place in the plan.

A change is written with its scope (the learning set by name, or the programme), whether
the site's name is hidden, the texts and the measures' readings copied when it was shared,
when it was shared and withdrawn, and its own identifier (uid), which an import keeps. Its
`tried_at` lists every action, of any site, that tried it, by that site's identifier (uid),
cycle number and place. The trying site's own document names the change by the change's
uid (exchange_tried.py), never by its site's. So whichever of the two
documents is imported second makes the link, whatever the order: an import of the sharing
site links the actions already here that tried its changes; an import of the trying site
links its actions to the changes already here. A link only fills an empty one.

The version of a change (how often how it is shared has changed here) is this
installation's guard against two people editing at once, not part of the record: an
imported change starts at version 1.
"""

from collections.abc import Callable, Iterable

from sqlmodel import Session, col, func, select

from imroc.models import Action, Cycle, LearningSet, SharedChange, Site, User
from imroc.models.cycle import Stage
from imroc.services import actions, audit, changes
from imroc.services.data_io.exchange_doc import ExchangeDoc, SharedChangeDoc

KEY = "shared_changes"


# --- actions as any installation can find them --------------------------------------------

def places_of(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, int, int]]:
    """Each action as (its site's uid, its cycle's number, its place in the cycle's plan),
    the place counted as the document counts it (two queries)."""
    wanted = set(ids)
    if not wanted:
        return {}
    cycles = {cid: (uid, number) for cid, number, uid in session.exec(
        select(Cycle.id, Cycle.number, Site.uid).join(Site, col(Site.id) == Cycle.site_id)
        .where(col(Cycle.id).in_(select(Action.cycle_id).where(col(Action.id).in_(wanted)))))}
    rows = session.exec(select(Action.id, Action.cycle_id).where(
        col(Action.cycle_id).in_(list(cycles)))).all()
    placed = actions.places(rows, {cid: number for cid, (_uid, number) in cycles.items()})
    return {r.id: (cycles[r.cycle_id][0], *placed[r.id]) for r in rows if r.id in wanted}


def find_action(session: Session, *, site_id: int | None, cycle: int,
                place: int) -> Action | None:
    """The action at this place of the site's cycle, if the site and the cycle are here."""
    if site_id is None:
        return None
    ids = session.exec(select(Action.id).join(Cycle, col(Cycle.id) == Action.cycle_id).where(
        Cycle.site_id == site_id, Cycle.number == cycle).order_by(col(Action.id))).all()
    return session.get(Action, ids[place - 1]) if 0 < place <= len(ids) else None


def site_id_of(session: Session, uid: object) -> int | None:
    return session.exec(select(Site.id).where(Site.uid == str(uid))).first()


def uids_here(session: Session, uids: list[str]) -> set[str]:
    """Which of these change identifiers are here already (a statement per 500)."""
    found: set[str] = set()
    for start in range(0, len(uids), 500):
        found.update(session.exec(select(SharedChange.uid).where(
            col(SharedChange.uid).in_(uids[start:start + 500]))).all())
    return found


def change_at(session: Session, *, site_id: int | None, cycle: int,
              place: int) -> SharedChange | None:
    """The change shared from the action at this place, if it is here."""
    action = find_action(session, site_id=site_id, cycle=cycle, place=place)
    return changes.change_of(session, action=action) if action is not None else None


def link(session: Session, *, action: Action, change: SharedChange, actor: User | None) -> int:
    """Say that the action tried the change, unless it is linked already (1 when linked)."""
    if action.origin_change_id is not None:
        return 0
    action.origin_change_id = change.id
    session.add(action)
    site_id = session.exec(select(Cycle.site_id).where(Cycle.id == action.cycle_id)).one()
    audit.record(session, actor=actor, action="import", entity="action", entity_id=action.id,
                 site_id=site_id, after={"origin_change_id": change.id})
    return 1


# --- the section ----------------------------------------------------------------------------

def export(session: Session, site: Site) -> list[dict]:
    """The site's shared changes, withdrawn ones too, in the order of their actions."""
    rows = session.exec(
        select(SharedChange, LearningSet.name, User.email)
        .outerjoin(LearningSet, col(LearningSet.id) == SharedChange.learning_set_id)
        .outerjoin(User, col(User.id) == SharedChange.shared_by)
        .where(SharedChange.site_id == site.id)).all()
    tried = session.exec(select(Action.id, Action.origin_change_id).where(
        col(Action.origin_change_id).in_([c.id for c, _n, _e in rows] or [-1]))).all()
    place = places_of(session, [c.action_id for c, _n, _e in rows] + [a for a, _c in tried])
    out = []
    for c, set_name, email in rows:
        _uid, number, at = place[c.action_id]
        out.append({
            "uid": c.uid, "cycle": number, "action": at, "scope": c.scope,
            "learning_set": set_name, "anonymised": c.anonymised, "title": c.title,
            "what_was_done": c.what_was_done, "prediction": c.prediction, "result": c.result,
            "measures": c.measures,
            "shared_by": email, "shared_at": c.shared_at, "withdrawn_at": c.withdrawn_at,
            "tried_at": sorted(({"site": place[a][0], "cycle": place[a][1],
                                 "action": place[a][2]} for a, origin in tried
                                if origin == c.id),
                               key=lambda t: (t["site"], t["cycle"], t["action"]))})
    return sorted(out, key=lambda c: (c["cycle"], c["action"]))


def mentions(session: Session, site: Site) -> set[int]:
    """The people who shared the site's changes (for the document's list of people)."""
    return set(session.exec(select(SharedChange.shared_by).where(
        SharedChange.site_id == site.id, col(SharedChange.shared_by).is_not(None))).all())


def check(session: Session, docs: list[SharedChangeDoc], site_id: int | None, bad, *,
          doc: ExchangeDoc, note: Callable[[str], None]) -> list[dict]:
    """The changes to write, each with the actions here that tried it (to link)."""
    index = {(c.number, a.number): (c, a) for c in doc.cycles for a in c.actions}
    people = {p.email.lower() for p in doc.people}
    sets = set(session.exec(select(LearningSet.name)).all())
    if site_id is None and doc.site.learning_set is not None:
        sets.add(doc.site.learning_set.name)  # the import makes it, or finds it
    own = str(doc.site.uid) if doc.site.uid else None
    here = uids_here(session, [str(ch.uid) for ch in docs if ch.uid is not None])
    plan: list[dict] = []
    seen: set[tuple[int, int]] = set()
    uids: set[str] = set()
    for i, ch in enumerate(docs):
        at = f"{KEY}/{i}"
        found = index.get((ch.cycle, ch.action))
        uid = str(ch.uid) if ch.uid is not None else None
        if uid is not None and (uid in uids or uid in here):
            bad(f"{at}/uid", uid, "Another change has this identifier already" if uid in here
                else "This identifier is given to two changes")
            continue
        if uid is not None:
            uids.add(uid)
        if found is None or (ch.cycle, ch.action) in seen:
            bad(f"{at}/action", f"{ch.cycle}/{ch.action}", "Must name an action of a cycle "
                "in this document" if found is None else "This action is shared twice: an "
                "action is shared once, with one scope")
            continue
        seen.add((ch.cycle, ch.action))
        cycle, action = found
        reason = changes.why_not_shareable(action, cycle)
        if reason:
            bad(f"{at}/{'cycle' if cycle.stage != Stage.closed else 'action'}",
                f"{ch.cycle}/{ch.action}", reason)
        elif ch.scope == "learning_set" and ch.learning_set is None:
            bad(f"{at}/learning_set", None, "A change shared with a learning set must name "
                "the set, or be shared with the whole programme")
        elif ch.learning_set is not None and ch.learning_set not in sets:
            bad(f"{at}/learning_set", ch.learning_set, "No learning set here has this name, "
                "and it is not the site's learning set in this document")
        elif ch.shared_by is not None and ch.shared_by.lower() not in people:
            bad(f"{at}/shared_by", ch.shared_by, "This person is not in the document's list "
                "of people")
        elif ch.withdrawn_at is not None and ch.withdrawn_at < ch.shared_at:
            bad(f"{at}/withdrawn_at", ch.withdrawn_at, "A change is withdrawn after it was "
                "shared, not before")
        else:
            plan.append({"doc": ch, "tried": _tried_here(session, ch, at, own, index, bad,
                                                         note)})
    return plan


def _tried_here(session: Session, ch: SharedChangeDoc, at: str, own: str | None, index: dict,
                bad, note: Callable[[str], None]) -> list[tuple]:
    """Where the change was tried: this document's own actions by place, and other sites'
    actions already here (by id) that are not linked to a change yet."""
    seen: set[tuple] = set()
    out: list[tuple] = []
    elsewhere = 0
    for j, t in enumerate(ch.tried_at):
        key = (str(t.site), t.cycle, t.action)
        if key in seen:
            bad(f"{at}/tried_at/{j}", "/".join(map(str, key)), "Given twice")
            continue
        seen.add(key)
        if key[0] == own and (t.cycle, t.action) in index:
            out.append(("own", t.cycle, t.action))
            continue
        action = find_action(session, site_id=site_id_of(session, t.site), cycle=t.cycle,
                             place=t.action)
        if action is None and key[0] == own:
            bad(f"{at}/tried_at/{j}", f"{t.cycle}/{t.action}", "Must name an action of a "
                "cycle in this document or of this site here")
            continue
        if action is None:
            continue  # not here: that site's own document links it when it is imported
        if action.origin_change_id is not None:
            note(f"Another site's action (cycle {t.cycle}, action {t.action}) tried “{ch.title}”"
                 " but is already linked to a change here: it is left as it is")
            continue
        out.append(("id", action.id))
        elsewhere += 1
    if elsewhere:
        note(f"“{ch.title}” (cycle {ch.cycle}, action {ch.action}) was tried by {elsewhere} "
             f"action{'s' if elsewhere != 1 else ''} of other sites already here: the import "
             "links them to it")
    return out


def write(session: Session, site: Site, plan: list[dict], actor: User | None) -> int:
    """Add the changes (services/changes.py's one write path) and link the actions that
    tried them; returns how many changes were added."""
    if not plan:
        return 0
    session.flush()
    set_ids = dict(session.exec(select(LearningSet.name, LearningSet.id)).all())
    emails = {i["doc"].shared_by.lower() for i in plan if i["doc"].shared_by}
    people = dict(session.exec(select(func.lower(User.email), User.id).where(
        func.lower(User.email).in_(sorted(emails) or [""]))).all())
    for item in plan:
        ch: SharedChangeDoc = item["doc"]
        action = find_action(session, site_id=site.id, cycle=ch.cycle, place=ch.action)
        change = changes.add_change(
            session, action=action, cycle=session.get(Cycle, action.cycle_id),
            learning_set_id=set_ids.get(ch.learning_set or ""), scope=ch.scope.value,
            anonymised=ch.anonymised, title=ch.title.strip(), what_was_done=ch.what_was_done,
            prediction=ch.prediction, result=ch.result,
            measures=[m.model_dump() for m in ch.measures],
            shared_by=people.get((ch.shared_by or "").lower()), shared_at=ch.shared_at,
            withdrawn_at=ch.withdrawn_at, uid=str(ch.uid) if ch.uid is not None else None)
        audit.record(session, actor=actor, action="import", entity="shared_change",
                     entity_id=change.id, site_id=site.id,
                     after={"action_id": action.id, **audit.snapshot(change, changes.FIELDS)})
        for target in item["tried"]:
            tried = session.get(Action, target[1]) if target[0] == "id" else find_action(
                session, site_id=site.id, cycle=target[1], place=target[2])
            link(session, action=tried, change=change, actor=actor)
    session.flush()
    return len(plan)
