"""The exchange document's `tried_changes` section: the site's actions that try a change a
site shared, each naming the change as any installation can find it (the sharing site's
uid, the cycle number and place of the action it was shared from, and its title).

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
        select(Action.id, SharedChange.action_id, SharedChange.title)
        .join(SharedChange, col(SharedChange.id) == Action.origin_change_id)
        .join(Cycle, col(Cycle.id) == Action.cycle_id)
        .where(Cycle.site_id == site.id)).all()
    place = places_of(session, [a for a, _s, _t in rows] + [s for _a, s, _t in rows])
    out = [{"cycle": place[a][1], "action": place[a][2],
            "change": {"site": place[shared][0], "cycle": place[shared][1],
                       "action": place[shared][2], "title": title}}
           for a, shared, title in rows]
    return sorted(out, key=lambda t: (t["cycle"], t["action"]))


def check(session: Session, docs: list[TriedChangeDoc], site_id: int | None, bad, *,
          doc: ExchangeDoc, note: Callable[[str], None]) -> list[dict]:
    """The links to make: to a change of this document, or to one already here."""
    index = {(c.number, a.number) for c in doc.cycles for a in c.actions}
    shared = {(c.cycle, c.action) for c in doc.shared_changes}
    own = str(doc.site.uid) if doc.site.uid else None
    plan: list[dict] = []
    seen: set[tuple[int, int]] = set()
    for i, t in enumerate(docs):
        at, ref = f"{KEY}/{i}", t.change
        where = f"{t.cycle}/{t.action}"
        if (t.cycle, t.action) not in index:
            bad(f"{at}/action", where, "Must name an action of a cycle in this document")
            continue
        if (t.cycle, t.action) in seen:
            bad(f"{at}/action", where, "This action is given twice: an action tries one "
                "shared change")
            continue
        seen.add((t.cycle, t.action))
        if str(ref.site) == own and (ref.cycle, ref.action) in shared:
            plan.append({"cycle": t.cycle, "action": t.action, "own": ref})
            continue
        change = change_at(session, site_id=site_id_of(session, ref.site), cycle=ref.cycle,
                           place=ref.action)
        if change is None and str(ref.site) == own:
            bad(f"{at}/change", f"{ref.cycle}/{ref.action}", "Names a change of this site that "
                "is neither in the document's shared_changes nor here")
        elif change is None:
            note(f"Cycle {t.cycle}, action {t.action} tried “{ref.title}”, a change another "
                 "site shared, which is not here: the action is imported without that link. "
                 "Importing that site's exchange document afterwards links them.")
        elif change.title != ref.title:
            note(f"Cycle {t.cycle}, action {t.action} tried “{ref.title}”, but the change at "
                 f"that place here is “{change.title}”: the action is imported without a link "
                 "to it.")
        else:
            plan.append({"cycle": t.cycle, "action": t.action, "change_id": change.id})
    return plan


def write(session: Session, site: Site, plan: list[dict], actor: User | None) -> int:
    """Link the site's new actions to the changes they tried; returns how many were linked."""
    if not plan:
        return 0
    session.flush()  # the document's own changes (exchange_changes) are written by now
    linked = 0
    for item in plan:
        action = find_action(session, site_id=site.id, cycle=item["cycle"],
                             place=item["action"])
        ref = item.get("own")
        change = session.get(SharedChange, item["change_id"]) if ref is None else change_at(
            session, site_id=site.id, cycle=ref.cycle, place=ref.action)
        linked += link(session, action=action, change=change, actor=actor)
    session.flush()
    return linked
