"""Exports of a site's history, a learning set, or the whole programme, as eight tables
(the cycles with their progress scores, and the changes the sites shared).

Who may export what follows the screens (services/access.py): a site's history for anyone
who sees the site, a learning set for its facilitators and the programme team, the whole
programme for the programme team. Raters are named (email and name) only for the people
who see the steering group's member list; everyone else gets "Rater 1", "Rater 2"... per
site, numbered in an order that reveals nothing. A learning set exported with `anonymise`
shows "Site A", "Site B"... as its dashboard does, with no organisation, region or rater
names.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import distinct
from sqlmodel import Session, col, func, select

from imroc import clock
from imroc.models import (
    Action,
    Challenge,
    ConsensusScore,
    ConsultancyEntry,
    Cycle,
    Framework,
    LearningSet,
    Priority,
    ProgressScore,
    Rating,
    ScaleLevel,
    SharedChange,
    Site,
    User,
)
from imroc.models.cycle import PDSA_FIELDS
from imroc.services import access, actions, objectives, set_history
from imroc.services import anonymise as anonymise_rule
from imroc.services.access import Principal
from imroc.services.data_io.layout import TABLES, utc_seconds

Rows = dict[str, list[dict]]


@dataclass
class Export:
    """The tables of one export and the name its files are given."""

    name: str
    tables: Rows


def site_export(session: Session, *, principal: Principal, site: Site) -> Export:
    """A site's whole history (the site must already be visible: loaded through SiteDep)."""
    access.ensure_view_site(principal, site)
    tables = collect(session, sites=[site],
                     identify=lambda s: access.can_identify_raters(principal, s))
    return Export(name=f"imroc-site-{site.id}", tables=tables)


def learning_set_export(session: Session, *, principal: Principal, ls: LearningSet,
                        anonymise: bool = False) -> Export:
    """The sites of a learning set side by side, optionally anonymised as on its dashboard."""
    access.ensure_view_learning_set(principal, ls)
    # The cycles run in this set: a site that moved keeps its earlier cycles here.
    sites = set_history.set_sites(session, ls=ls, include_archived=False)
    names = anonymise_rule.site_names(sites, True, ls.letter_seed) if anonymise else None
    if names:
        sites = anonymise_rule.in_name_order(sites, names)
    tables = collect(session, sites=sites, names=names, learning_set_id=ls.id,
                     identify=lambda s: not anonymise and access.can_identify_raters(principal, s))
    suffix = "-anonymised" if anonymise else ""
    return Export(name=f"imroc-learning-set-{ls.id}{suffix}", tables=tables)


def programme_export(session: Session, *, principal: Principal | None,
                     progress: Callable[[str], None] | None = None) -> Export:
    """Every site, archived ones included (principal None: the command line)."""
    if principal is not None:
        access.ensure_export_programme(principal)
    sites = list(session.exec(select(Site).order_by(col(Site.name))).all())
    tables = collect(session, sites=sites, identify=lambda s: True, every_site=True,
                     progress=progress)
    return Export(name="imroc-programme", tables=tables)


def collect(session: Session, *, sites: list[Site], identify: Callable[[Site], bool],
            names: dict[int, str] | None = None, every_site: bool = False,
            learning_set_id: int | None = None,
            progress: Callable[[str], None] | None = None) -> Rows:
    """The eight tables for these sites (only their cycles run in `learning_set_id` when
    given), in a fixed number of queries whatever their size."""
    step = progress or (lambda _table: None)
    label = {s.id: (names or {}).get(s.id, s.name) for s in sites}
    anonymised = names is not None
    site_ids = [s.id for s in sites]
    order = {sid: i for i, sid in enumerate(site_ids)}
    set_names = dict(session.exec(select(LearningSet.id, LearningSet.name)).all())

    def scoped(query):
        if learning_set_id is not None:
            query = query.where(set_history.ran_in(learning_set_id))
        return query if every_site else query.where(col(Cycle.site_id).in_(site_ids or [-1]))

    out: Rows = {name: [] for name in TABLES}
    for s in sites:
        out["sites"].append({
            "site": label[s.id], "organisation": "" if anonymised else s.organisation,
            "kind": s.kind, "region": "" if anonymised else s.region,
            "learning_set": set_names.get(s.learning_set_id, "") if s.learning_set_id else "",
            "joined_on": s.joined_on, "consultancy_days_allocated": s.consultancy_days_allocated,
            "consultancy_days_used": s.consultancy_days_used,
            # An identifier would tell who an anonymised site is.
            "uid": "" if anonymised else s.uid})
    step("sites")
    cycles = sorted(session.exec(scoped(select(Cycle, Framework.version).join(
        Framework, col(Framework.id) == Cycle.framework_id))).all(),
        key=lambda r: (order[r[0].site_id], r[0].number))
    by_id = {c.id: c for c, _ in cycles}
    given = _progress_scores(session, scoped)
    for c, version in cycles:
        out["cycles"].append({
            "site": label[c.site_id], "cycle": c.number, "framework_version": version,
            "stage": c.stage, "started_on": c.started_on, "review_due_on": c.review_due_on,
            "signed_off_at": utc_seconds(c.signed_off_at), "closed_at": utc_seconds(c.closed_at),
            **{f: getattr(c, f) for f in PDSA_FIELDS},
            **{f"{giver}_progress_{part}": value
               for giver, row in given.get(c.id, {}).items()
               for part, value in (("score", row.score), ("comment", row.comment))}})
    step("cycles")

    def key(cid: int) -> tuple[int, int]:
        return order[by_id[cid].site_id], by_id[cid].number

    out["ratings"] = _ratings(session, scoped, by_id, label, key,
                              {s.id: identify(s) for s in sites})
    step("ratings")
    titles = {(f, n): t for f, n, t in session.exec(
        select(Challenge.framework_id, Challenge.number, Challenge.short_title)).all()}
    levels = {(f, lv): n for f, lv, n in session.exec(
        select(ScaleLevel.framework_id, ScaleLevel.level, ScaleLevel.name)).all()}
    scores = session.exec(scoped(select(ConsensusScore).join(
        Cycle, col(Cycle.id) == ConsensusScore.cycle_id))).all()
    for s in sorted(scores, key=lambda s: (key(s.cycle_id), s.challenge)):
        c = by_id[s.cycle_id]
        out["consensus"].append({
            "site": label[c.site_id], "cycle": c.number, "started_on": c.started_on,
            "challenge": s.challenge, "challenge_title": titles.get((c.framework_id, s.challenge), ""),
            "level": s.level, "level_name": levels.get((c.framework_id, s.level), ""),
            "rationale": s.rationale, "to_reconfirm": s.to_reconfirm})
    step("consensus")
    found = session.exec(scoped(select(Priority).join(Cycle, col(Cycle.id) == Priority.cycle_id)))
    reached = objectives.outcomes(session, site_ids=None if every_site else site_ids,
                                  learning_set_id=learning_set_id)
    for p in sorted(found.all(), key=lambda p: (key(p.cycle_id), p.rank)):
        c = by_id[p.cycle_id]
        outcome = reached.get(p.id)
        out["priorities"].append({
            "site": label[c.site_id], "cycle": c.number, "rank": p.rank, "challenge": p.challenge,
            "current_level": p.current_level, "target_level": p.target_level,
            "reason": p.reason, "attainment": outcome.attainment if outcome else "",
            "rescored_level": outcome.rescored_level if outcome else None})
    step("priorities")
    out["actions"] = _actions(session, scoped, by_id, label, key)
    step("actions")
    out["consultancy"] = _consultancy(session, site_ids, label, order, anonymised)
    step("consultancy")
    out["shared_changes"] = _shared_changes(session, scoped, by_id, label, key, titles,
                                            set_names)
    step("shared_changes")
    return out


def _shared_changes(session: Session, scoped, by_id: dict, label: dict, key, titles: dict,
                    set_names: dict) -> list:
    """The changes shared from these cycles, withdrawn ones too, with how many other sites
    tried each (three queries)."""
    found = session.exec(scoped(select(SharedChange).join(
        Cycle, col(Cycle.id) == SharedChange.cycle_id))).all()
    ids = [c.id for c in found] or [-1]
    elsewhere = dict(session.exec(
        select(Action.origin_change_id, func.count(distinct(Cycle.site_id)))
        .join(Cycle, col(Cycle.id) == Action.cycle_id)
        .join(SharedChange, col(SharedChange.id) == Action.origin_change_id)
        .where(col(Action.origin_change_id).in_(ids), Cycle.site_id != SharedChange.site_id)
        .group_by(col(Action.origin_change_id))).all())
    planned = session.exec(select(Action.id, Action.cycle_id).where(
        col(Action.cycle_id).in_({c.cycle_id for c in found} or {-1}))).all()
    place = actions.places(planned, {cid: c.number for cid, c in by_id.items()})
    rows = []
    for c in sorted(found, key=lambda c: (key(c.cycle_id), place[c.action_id][1])):
        cycle = by_id[c.cycle_id]
        rows.append({
            "site": label[cycle.site_id], "cycle": cycle.number,
            "number": place[c.action_id][1], "challenge": c.challenge,
            "challenge_title": titles.get((cycle.framework_id, c.challenge), ""),
            "title": c.title, "outcome": c.outcome, "scope": c.scope,
            "learning_set": set_names.get(c.learning_set_id, ""),
            "site_named": not c.anonymised, "shared_on": clock.uk_date_of(c.shared_at),
            "withdrawn_on": clock.uk_date_of(c.withdrawn_at) if c.withdrawn_at else None,
            "tried_elsewhere": elsewhere.get(c.id, 0)})
    return rows


def _consultancy(session: Session, site_ids: list[int], label: dict, order: dict,
                 anonymised: bool) -> list:
    """Every dated entry; who delivered it is left out when sites are not named."""
    found = session.exec(
        select(ConsultancyEntry, User.name)
        .join(User, col(User.id) == ConsultancyEntry.delivered_by_id, isouter=True)
        .where(col(ConsultancyEntry.site_id).in_(site_ids or [-1]))).all()
    found = sorted(found, key=lambda r: (order[r[0].site_id], r[0].delivered_on, r[0].id))
    return [{"site": label[e.site_id], "delivered_on": e.delivered_on, "days": e.days,
             "purpose": e.purpose,
             "delivered_by": "" if anonymised else (name or e.delivered_by_name),
             "peer_trainer": e.delivered_by_id is None and bool(e.delivered_by_name)}
            for e, name in found]


def _progress_scores(session: Session, scoped) -> dict[int, dict[str, ProgressScore]]:
    """The cycles' progress scores by cycle id and giver (one query)."""
    out: dict[int, dict[str, ProgressScore]] = defaultdict(dict)
    for row in session.exec(scoped(select(ProgressScore).join(
            Cycle, col(Cycle.id) == ProgressScore.cycle_id))).all():
        out[row.cycle_id][row.giver] = row
    return out


def _ratings(session: Session, scoped, by_id: dict, label: dict, key, identify: dict) -> list:
    found = session.exec(scoped(
        select(Rating.cycle_id, Rating.challenge, Rating.perspective, Rating.level,
               Rating.comment, User.email, User.name, Rating.dont_know)
        .join(Cycle, col(Cycle.id) == Rating.cycle_id)
        .join(User, col(User.id) == Rating.rater_id))).all()
    # Pseudonyms are numbered per site in an order that says nothing of who is who.
    emails: dict[int, set[str]] = defaultdict(set)
    for r in found:
        emails[by_id[r[0]].site_id].add(r[5])
    numbers = {site_id: anonymise_rule.rater_numbers(site_id, found_emails)
               for site_id, found_emails in emails.items()}
    rows = []
    for cycle_id, challenge, perspective, level, comment, email, name, dont_know in found:
        cycle = by_id[cycle_id]
        named = identify[cycle.site_id]
        number = numbers[cycle.site_id][email]
        rows.append(((key(cycle_id), challenge, number), {
            "site": label[cycle.site_id], "cycle": cycle.number, "challenge": challenge,
            "rater": email if named else f"Rater {number}", "rater_name": name if named else "",
            "perspective": perspective, "level": level, "dont_know": bool(dont_know),
            "comment": comment}))
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def _actions(session: Session, scoped, by_id: dict, label: dict, key) -> list:
    found = sorted(session.exec(scoped(select(Action).join(
        Cycle, col(Cycle.id) == Action.cycle_id))).all(), key=lambda a: (key(a.cycle_id), a.id))
    place = actions.places(found, {cid: c.number for cid, c in by_id.items()})
    rows = []
    for a in found:
        origin = place.get(a.carried_from_id) if a.carried_from_id else None
        rows.append({
            "site": label[by_id[a.cycle_id].site_id], "cycle": by_id[a.cycle_id].number,
            "number": place[a.id][1], "challenge": a.challenge, "title": a.title,
            "owner": a.owner, "due_on": a.due_on, "status": a.status, "outcome": a.outcome or "",
            "notes": a.notes, "carried_from_cycle": origin[0] if origin else None,
            "carried_from_number": origin[1] if origin else None})
    return rows
