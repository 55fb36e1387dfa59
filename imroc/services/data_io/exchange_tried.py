"""The exchange document's `tried_changes` section: the site's actions that try a change a
site shared, each naming the change as any installation can find it: by the change's own
identifier (uid) and its title, never by the sharing site, which may have shared it without
its name. Documents written before changes had identifiers name the sharing site's uid and
the cycle number and place of the action it was shared from; those are still read.

On import an action is linked to the change when that change is here (or in the same
document); when it is not, the action comes in without the link and the dry run says so.
The sharing site's document lists the actions that tried each change
(exchange_changes.py), so importing it afterwards makes the link.
"""

from collections.abc import Callable

from sqlmodel import Session, col, select

from imroc.models import Action, Cycle, SharedChange, Site, User
from imroc.services.data_io.exchange_changes import (
    change_at,
    find_action,
    link,
    places_of,
    site_id_of,
)
from imroc.services.data_io.exchange_doc import ExchangeDoc, TriedChangeDoc

KEY = "tried_changes"


def export(session: Session, site: Site) -> list[dict]:
    """The site's actions that try a shared change, in the order of the plan."""
    rows = session.exec(
        select(Action.id, SharedChange.uid, SharedChange.title)
        .join(SharedChange, col(SharedChange.id) == Action.origin_change_id)
        .join(Cycle, col(Cycle.id) == Action.cycle_id)
        .where(Cycle.site_id == site.id)).all()
    place = places_of(session, [a for a, _u, _t in rows])
    out = [{"cycle": place[a][1], "action": place[a][2],
            "change": {"uid": uid, "title": title}} for a, uid, title in rows]
    return sorted(out, key=lambda t: (t["cycle"], t["action"]))


def check(session: Session, docs: list[TriedChangeDoc], site_id: int | None, bad, *,
          doc: ExchangeDoc, note: Callable[[str], None]) -> list[dict]:
    """The links to make: to a change of this document, or to one already here."""
    index = {(c.number, a.number) for c in doc.cycles for a in c.actions}
    own = {str(c.uid) for c in doc.shared_changes if c.uid is not None}
    places = {(c.cycle, c.action) for c in doc.shared_changes}
    plan: list[dict] = []
    seen: set[tuple[int, int]] = set()
    for i, t in enumerate(docs):
        at, where = f"{KEY}/{i}", f"{t.cycle}/{t.action}"
        if (t.cycle, t.action) not in index:
            bad(f"{at}/action", where, "Must name an action of a cycle in this document")
            continue
        if (t.cycle, t.action) in seen:
            bad(f"{at}/action", where, "This action is given twice: an action tries one "
                "shared change")
            continue
        seen.add((t.cycle, t.action))
        target = _by_uid(session, t, own, note) if t.change.uid is not None \
            else _by_place(session, t, doc, places, f"{at}/change", bad, note)
        if target is not None:
            plan.append({"cycle": t.cycle, "action": t.action, **target})
    return plan


def _not_here(t: TriedChangeDoc) -> str:
    return (f"Cycle {t.cycle}, action {t.action} tried “{t.change.title}”, a change another "
            "site shared, which is not here: the action is imported without that link. "
            "Importing that site's exchange document afterwards links them.")


def _same_title(t: TriedChangeDoc, change: SharedChange, note) -> dict | None:
    if change.title == t.change.title:
        return {"change_id": change.id}
    note(f"Cycle {t.cycle}, action {t.action} tried “{t.change.title}”, but that change is "
         f"called “{change.title}” here: the action is imported without a link to it.")
    return None


def _by_uid(session: Session, t: TriedChangeDoc, own: set[str], note) -> dict | None:
    """A change of this document (`own`: their identifiers), or one here, by its
    identifier."""
    uid = str(t.change.uid)
    if uid in own:
        return {"uid": uid}
    change = session.exec(select(SharedChange).where(SharedChange.uid == uid)).first()
    if change is None:
        note(_not_here(t))
        return None
    return _same_title(t, change, note)


def _by_place(session: Session, t: TriedChangeDoc, doc: ExchangeDoc, places: set[tuple],
              at: str, bad, note) -> dict | None:
    """An older document's reference: the sharing site's uid and the action's place
    (`places`: those of this document's shared changes)."""
    ref = t.change
    own = str(doc.site.uid) if doc.site.uid else None
    if str(ref.site) == own and (ref.cycle, ref.action) in places:
        return {"own": (ref.cycle, ref.action)}
    change = change_at(session, site_id=site_id_of(session, ref.site), cycle=ref.cycle,
                       place=ref.action)
    if change is None and str(ref.site) == own:
        bad(at, f"{ref.cycle}/{ref.action}", "Names a change of this site that is neither in "
            "the document's shared_changes nor here")
        return None
    if change is None:
        note(_not_here(t))
        return None
    return _same_title(t, change, note)


def write(session: Session, site: Site, plan: list[dict], actor: User | None) -> int:
    """Link the site's new actions to the changes they tried; returns how many were linked."""
    if not plan:
        return 0
    session.flush()  # the document's own changes (exchange_changes) are written by now
    linked = 0
    for item in plan:
        action = find_action(session, site_id=site.id, cycle=item["cycle"],
                             place=item["action"])
        if "uid" in item:
            change = session.exec(select(SharedChange).where(
                SharedChange.uid == item["uid"])).one()
        elif "own" in item:
            change = change_at(session, site_id=site.id, cycle=item["own"][0],
                               place=item["own"][1])
        else:
            change = session.get(SharedChange, item["change_id"])
        linked += link(session, action=action, change=change, actor=actor)
    session.flush()
    return linked
