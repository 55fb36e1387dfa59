"""The library of changes that worked, as each person may read it: searched by challenge,
kind of site, outcome and words; each change named by its site or, when the site asked,
as "A pilot site in North West learning set"; and where it has spread since."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, or_
from sqlmodel import Session, col, func, select

from imroc import clock
from imroc.errors import Invalid
from imroc.models import Action, Cycle, LearningSet, Priority, SharedChange, Site, Thread
from imroc.models.change import ChangeFilter, ChangePublic, ChangeSite, MeasureMoved, Spread
from imroc.models.cycle import STAGE_LABELS, Stage
from imroc.models.user import SiteRole
from imroc.services import access, access_changes, access_discussion, sites
from imroc.services.access import Principal

PER_PAGE = 20
ADDABLE = (Stage.plan.value, Stage.do.value, Stage.study.value, Stage.act.value)


def unnamed(kind_label: str, set_name: str | None) -> str:
    """A site without its name: "A pilot site in North West learning set"."""
    words = kind_label[:1].lower() + kind_label[1:]
    article = "An" if words[:1] in "aeiou" else "A"
    return f"{article} {words} in {set_name}" if set_name else f"{article} {words}"


@dataclass(frozen=True)
class ChangeView:
    """A shared change as one person sees it."""

    change: SharedChange
    site: Site
    set_name: str | None
    kind_label: str
    shows_site: bool
    insider: bool
    tried_at: int  # how many sites have tried it

    @property
    def label(self) -> str:
        return self.site.name if self.shows_site else unnamed(self.kind_label, self.set_name)


def _kinds(session: Session) -> dict[str, str]:
    return {k.code: k.label for k in sites.list_kinds(session)}


def _tried_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(select(Action.origin_change_id, func.count(distinct(Cycle.site_id)))
                        .join(Cycle, col(Cycle.id) == Action.cycle_id)
                        .where(col(Action.origin_change_id).in_(ids))
                        .group_by(col(Action.origin_change_id))).all()
    return dict(rows)


def _views(session: Session, principal: Principal, rows) -> list[ChangeView]:
    kinds = _kinds(session)
    counts = _tried_counts(session, [c.id for c, _s, _n in rows])
    return [ChangeView(c, site, set_name, kinds.get(site.kind, site.kind),
                       access_changes.shows_site(principal, c),
                       access_changes.is_insider(principal, c), counts.get(c.id, 0))
            for c, site, set_name in rows]


def _query():
    return (select(SharedChange, Site, LearningSet.name)
            .join(Site, col(Site.id) == SharedChange.site_id)
            .join(LearningSet, col(LearningSet.id) == SharedChange.learning_set_id, isouter=True))


def view(session: Session, *, principal: Principal, change: SharedChange) -> ChangeView:
    """One change as this person may read it (the caller has checked they may)."""
    row = session.exec(_query().where(SharedChange.id == change.id)).one()
    return _views(session, principal, [row])[0]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(session: Session, *, principal: Principal, f: ChangeFilter, page: int = 1,
           per_page: int = PER_PAGE) -> tuple[list[ChangeView], int]:
    """A page of the changes this person may read, newest first, and how many match."""
    unknown = set(f.kind) - set(_kinds(session))
    if unknown:
        raise Invalid({"kind": "Choose kinds of site from the list"})
    where = [access_changes.visible(session, principal)]
    if f.challenge is not None:
        where.append(SharedChange.challenge == f.challenge)
    if f.kind:
        where.append(col(Site.kind).in_(f.kind))
    if f.outcome:
        where.append(col(SharedChange.outcome).in_(f.outcome))
    if f.q:
        pattern = _like(f.q)
        where.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            SharedChange.title, SharedChange.what_was_done, SharedChange.result))))
    query = _query().where(*where)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(SharedChange.shared_at).desc(),
                                       col(SharedChange.id).desc())
                        .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return _views(session, principal, rows), total


def spread(session: Session, *, principal: Principal, found: ChangeView) -> list[Spread]:
    """The sites that tried the change, first tried first: named only for those who may see
    the site, else by kind and learning set; the sharing site itself, trying it again, is
    named only where the change is (one query)."""
    change = found.change
    rows = session.exec(
        select(Action.created_at, Cycle.id, Cycle.learning_set_id, Site, LearningSet.name)
        .join(Cycle, col(Cycle.id) == Action.cycle_id).join(Site, col(Site.id) == Cycle.site_id)
        .join(LearningSet, col(LearningSet.id) == Cycle.learning_set_id, isouter=True)
        .where(col(Action.origin_change_id) == change.id)
        .order_by(col(Action.created_at), col(Action.id))).all()
    kinds = _kinds(session)
    out: dict[int, Spread] = {}
    for created_at, cycle_id, _set_id, site, set_name in rows:
        if site.id in out:
            continue
        tried_on: date = clock.uk_date_of(created_at)
        if site.id == change.site_id and not found.shows_site:
            out[site.id] = Spread(site=None, label="The site that shared it, in a later cycle",
                                  cycle_id=None, tried_on=tried_on)
        elif access.can_view_site(principal, site):
            out[site.id] = Spread(site=ChangeSite(id=site.id, name=site.name, kind=site.kind),
                                  label=site.name, cycle_id=cycle_id, tried_on=tried_on)
        else:
            out[site.id] = Spread(site=None, label=unnamed(kinds.get(site.kind, site.kind),
                                                           set_name),
                                  cycle_id=None, tried_on=tried_on)
    return list(out.values())


def public(session: Session, *, principal: Principal, found: ChangeView,
           with_spread: bool = False) -> ChangePublic:
    c = found.change
    site = found.site
    return ChangePublic(
        id=c.id, challenge=c.challenge, outcome=c.outcome, scope=c.scope,
        learning_set_id=c.learning_set_id,
        site=ChangeSite(id=site.id, name=site.name, kind=site.kind) if found.shows_site else None,
        label=found.label, title=c.title, what_was_done=c.what_was_done,
        prediction=c.prediction, result=c.result,
        measures=[MeasureMoved(**m) for m in c.measures], adopted_count=found.tried_at,
        shared_at=c.shared_at,
        spread=spread(session, principal=principal, found=found) if with_spread else None,
        version=c.version if found.insider and access.is_lead(principal, site) else None)


def try_choices(session: Session, *, principal: Principal,
                change: SharedChange) -> list[tuple[int, str]]:
    """Cycles the person may add this change to: open ones past the assessment of the sites
    whose steering group they are in, each saying whether the change's challenge is one of
    its priorities (two queries)."""
    own = [site_id for site_id, m in principal.memberships.items()
           if m.role in (SiteRole.site_member, SiteRole.site_lead)]
    if not own:
        return []
    rows = session.exec(select(Cycle, Site.name).join(Site, col(Site.id) == Cycle.site_id)
                        .where(col(Site.id).in_(own), col(Cycle.stage).in_(ADDABLE),
                               col(Site.archived_at).is_(None))
                        .order_by(col(Site.name), col(Cycle.number))).all()
    with_priority = set(session.exec(select(Priority.cycle_id).where(
        col(Priority.cycle_id).in_([c.id for c, _n in rows] or [-1]),
        Priority.challenge == change.challenge)).all())
    out = []
    for cycle, name in rows:
        text = f"Cycle {cycle.number} of {name} ({STAGE_LABELS[Stage(cycle.stage)].lower()} stage)"
        if cycle.id not in with_priority:
            text += f": challenge {change.challenge} is not one of its priorities"
        out.append((cycle.id, text))
    return out


def tried_from(session: Session, *, principal: Principal,
               found: list[Action]) -> dict[int, dict]:
    """For each action that tries a shared change: the change as this person may read it
    ("Tried from ..."), or words saying it is no longer shared (two queries)."""
    ids = {a.origin_change_id for a in found if a.origin_change_id is not None}
    if not ids:
        return {}
    rows = session.exec(_query().where(col(SharedChange.id).in_(ids))).all()
    views = {v.change.id: v for v in _views(session, principal, rows)}
    out = {}
    for a in found:
        v = views.get(a.origin_change_id)
        if v is None:
            continue
        withdrawn = v.change.withdrawn_at is not None
        if not withdrawn and access_changes.can_view_change(session, principal, v.change):
            out[a.id] = {"href": f"/changes/{v.change.id}", "title": v.change.title,
                         "label": v.label}
        else:
            out[a.id] = {"href": None, "title": v.change.title, "label": None,
                         "withdrawn": withdrawn}
    return out


def threads_about(session: Session, *, principal: Principal,
                  change: SharedChange) -> list[Thread]:
    """The discussion threads about the change that this person may read, busiest first."""
    rows = session.exec(select(Thread).where(Thread.change_id == change.id)
                        .order_by(col(Thread.last_post_at).desc())).all()
    return [t for t in rows if access_discussion.can_view_thread(session, principal, t)]


def discuss_url(session: Session, *, principal: Principal, change: SharedChange) -> str | None:
    """Where a thread about the change starts: its learning set's threads, or the
    programme's; None when the person cannot start one there."""
    if change.scope == "programme":
        return f"/discussion?change_id={change.id}#new-thread"
    if change.learning_set_id is not None and access_discussion.can_discuss_in_set(
            session, principal, change.learning_set_id):
        return f"/learning-sets/{change.learning_set_id}/discussion?change_id={change.id}#new-thread"
    return None


def shared_from_cycle(session: Session, *, principal: Principal, cycle: Cycle,
                      site: Site) -> dict:
    """On a closed cycle's page: its adopted and adapted actions with how each is shared;
    the lead shares them, everyone else sees those they may read (two queries)."""
    if cycle.stage != Stage.closed:
        return {"can_share": False, "items": []}
    found = list(session.exec(select(Action).where(
        Action.cycle_id == cycle.id, col(Action.outcome).in_(("adopt", "adapt")))
        .order_by(col(Action.challenge), col(Action.id))).all())
    shared = {c.action_id: c for c in session.exec(select(SharedChange).where(
        col(SharedChange.action_id).in_([a.id for a in found] or [-1]))).all()}
    can_share = access_changes.can_share(principal, site)
    items = []
    for a in found:
        change = shared.get(a.id)
        live = change is not None and change.withdrawn_at is None
        if can_share or (live and access_changes.can_view_change(session, principal, change)):
            items.append({"action": a, "change": change, "live": live})
    return {"can_share": can_share, "items": items,
            "in_set": cycle.learning_set_id is not None}
