"""Read-only aggregates for the dashboards, in SQL, with a fixed number of queries per page.

Nothing here grows its query count with the number of sites, cycles or ratings: each
function issues the same statements whether the programme has 10 sites or 500.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from imroc.models import (
    Action,
    AuditEvent,
    ConsensusScore,
    Cycle,
    FacilitatorRating,
    LearningSet,
    Priority,
    Rating,
    Site,
)
from imroc.models.cycle import Stage
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.services import actions, set_history, voices
from imroc.services import meetings as meeting_links
from imroc.services.dashboards import progress as progress_rule
from imroc.services.dashboards import progress_scores as scores_rule

RECENT_IDS = 1000


@lru_cache(maxsize=1)
def _data_version_statement():
    newest = select(func.coalesce(func.max(AuditEvent.id), 0)).scalar_subquery()
    recent = (select(func.count()).select_from(AuditEvent)
              .where(AuditEvent.id > newest - RECENT_IDS).scalar_subquery())
    return select(newest, recent)


def data_version(session: Session) -> tuple[int, int]:
    """A value that changes whenever anything is written (every write is audited).

    The highest audit id alone is not enough on PostgreSQL: ids are handed out as writes
    start, so a write with a lower id can commit after a higher one. Counting the rows among
    the most recent ids changes when such a late write lands, so a page cached in between is
    never served again. One statement, built once and run without the ORM (it asks for no
    objects): it runs on every kept page, where building it cost ten times running it."""
    top, count = session.connection().execute(_data_version_statement()).one()
    return top, count


def latest_levels(session: Session, site_ids: list[int] | None = None,
                  learning_set_id: int | None = None) -> dict[int, dict[int, int]]:
    """Each site's agreed levels from its latest signed-off cycle (of those run in the
    learning set, when one is given) (one query)."""
    latest = (select(Cycle.site_id, func.max(Cycle.number).label("number"))
              .where(col(Cycle.signed_off_at).is_not(None)).group_by(Cycle.site_id))
    if learning_set_id is not None:
        latest = latest.where(set_history.ran_in(learning_set_id))
    if site_ids is not None:
        latest = latest.where(col(Cycle.site_id).in_(site_ids or [-1]))
    sub = latest.subquery()
    rows = session.exec(
        select(Cycle.site_id, ConsensusScore.challenge, ConsensusScore.level)
        .join(sub, and_(col(Cycle.site_id) == sub.c.site_id, col(Cycle.number) == sub.c.number))
        .join(ConsensusScore, col(ConsensusScore.cycle_id) == Cycle.id)).all()
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for site_id, challenge, level in rows:
        out[site_id][challenge] = level
    return dict(out)


def level_medians(session: Session, learning_set_id: int | None = None
                  ) -> dict[int, float | None]:
    """The median of the sites' latest agreed levels per challenge (one query); for a
    learning set, each site's latest cycle run in that set.

    SQL counts the sites at each level of each challenge (at most 40 rows, however many
    sites there are) and the median is read from those counts.
    """
    latest = (select(Cycle.site_id, func.max(Cycle.number).label("number"))
              .where(col(Cycle.signed_off_at).is_not(None)).group_by(Cycle.site_id))
    if learning_set_id is not None:
        latest = latest.where(set_history.ran_in(learning_set_id))
    sub = latest.subquery()
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for challenge, level, count in session.exec(
            select(ConsensusScore.challenge, ConsensusScore.level, func.count())
            .join(Cycle, col(Cycle.id) == ConsensusScore.cycle_id)
            .join(sub, and_(col(Cycle.site_id) == sub.c.site_id,
                            col(Cycle.number) == sub.c.number))
            .group_by(ConsensusScore.challenge, ConsensusScore.level)):
        counts[challenge][level] = count
    return {challenge: median_of_counts(counts.get(challenge, {})) for challenge in CHALLENGE_NUMBERS}


def median_of_counts(counts: dict[int, int]) -> float | None:
    """The median of values given as value -> how many times it occurs."""
    total = sum(counts.values())
    if not total:
        return None
    middle = []  # the value(s) at positions (total - 1) // 2 and total // 2, zero-based
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(middle) < 2 and seen > ((total - 1) // 2 if not middle else total // 2):
            middle.append(value)
    low, high = middle
    return low if low == high else (low + high) / 2


@dataclass
class SiteDashboard:
    site: Site
    cycles: list[Cycle]
    levels: dict[int, dict[int, int]]  # signed-off cycle id -> challenge -> level
    current: Cycle | None
    priorities: list[Priority]
    actions: list[Action]
    facilitator: dict[int, float]  # challenge -> mean facilitator level, current cycle
    voices: dict[str, int]
    set_median: dict[int, float | None] = field(default_factory=dict)
    programme_median: dict[int, float | None] = field(default_factory=dict)
    progress_scores: dict[int, dict[str, float]] = field(default_factory=dict)  # by cycle id

    @property
    def signed_off(self) -> list[Cycle]:
        return [c for c in self.cycles if c.id in self.levels]

    def overdue(self, today: date | None = None) -> list[Action]:
        return [a for a in self.actions if actions.is_overdue(a, today)]


def site_dashboard(session: Session, *, site: Site) -> SiteDashboard:
    """Everything on a site's dashboard (nine queries)."""
    cycles = list(session.exec(select(Cycle).where(Cycle.site_id == site.id)
                               .order_by(col(Cycle.number))).all())
    ids = [c.id for c in cycles] or [-1]
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for cycle_id, challenge, level in session.exec(
            select(ConsensusScore.cycle_id, ConsensusScore.challenge, ConsensusScore.level)
            .join(Cycle, col(Cycle.id) == ConsensusScore.cycle_id)
            .where(col(ConsensusScore.cycle_id).in_(ids), col(Cycle.signed_off_at).is_not(None))):
        levels[cycle_id][challenge] = level
    # The cycle in progress, or the last one when all are closed.
    current = next((c for c in reversed(cycles) if c.stage != Stage.closed), None) \
        or (cycles[-1] if cycles else None)
    focus = current.id if current else -1
    # Actions and priorities: of the cycle being worked, or of the last closed one while a
    # new cycle is still at its assessment.
    plan_cycle = focus
    if current is not None and current.stage == Stage.assess and len(cycles) > 1:
        plan_cycle = cycles[-2].id
    priorities = list(session.exec(select(Priority).where(Priority.cycle_id == plan_cycle)
                                   .order_by(col(Priority.rank))).all())
    # The plan being worked: the current cycle's actions (a new cycle holds the unfinished
    # ones carried into it), or the last cycle's while the new one has none yet. Never both,
    # so a carried action is not counted twice.
    found = session.exec(select(Action).where(col(Action.cycle_id).in_([plan_cycle, focus]))
                         .order_by(col(Action.challenge), col(Action.id))).all()
    actions = [a for a in found if a.cycle_id == focus] or \
        [a for a in found if a.cycle_id == plan_cycle]
    facilitator: dict[int, float] = {}
    last_scored = max(levels, key=lambda cid: next(c.number for c in cycles if c.id == cid),
                      default=-1)
    for challenge, mean in session.exec(
            select(FacilitatorRating.challenge, func.avg(FacilitatorRating.level))
            .where(FacilitatorRating.cycle_id == last_scored)
            .group_by(FacilitatorRating.challenge)):
        facilitator[challenge] = round(float(mean), 1)
    voices = dict(session.exec(
        select(Rating.perspective, func.count(func.distinct(Rating.rater_id)))
        .where(Rating.cycle_id == focus).group_by(Rating.perspective)).all())
    no_set = dict.fromkeys(CHALLENGE_NUMBERS)
    return SiteDashboard(
        site=site, cycles=cycles, levels=dict(levels), current=current, priorities=priorities,
        actions=actions, facilitator=facilitator, voices=voices,
        set_median=level_medians(session, site.learning_set_id) if site.learning_set_id
        else no_set, programme_median=level_medians(session),
        progress_scores=scores_rule.by_cycle(session, [c.id for c in cycles]))


@dataclass
class SetDashboard:
    learning_set: LearningSet
    sites: list[Site]
    latest: dict[int, dict[int, int]]
    # the mean agreed level at the end of each calendar quarter, with n (progress.py)
    progress: progress_rule.Progress
    priority_counts: dict[int, int]
    action_counts: dict[int, dict[str, int]]  # site id -> status -> count
    meetings: list
    by_meeting: dict = field(default_factory=dict)  # meeting id -> [MeetingCycle]
    progress_scores: dict = field(default_factory=dict)  # site id -> scores_rule.Latest


def learning_set_dashboard(session: Session, *, ls: LearningSet) -> SetDashboard:
    """The set's sites side by side, from the cycles run in the set, and their progress by
    quarter (eight queries)."""
    from imroc.models import Meeting

    sites = set_history.set_sites(session, ls=ls, include_archived=False)
    site_ids = [s.id for s in sites] or [-1]
    here = set_history.ran_in(ls.id)
    latest = latest_levels(session, site_ids, learning_set_id=ls.id)
    levels = progress_rule.signed_off_levels(session, learning_set_ids=[ls.id])
    priority_counts = dict(session.exec(
        select(Priority.challenge, func.count()).join(Cycle, col(Cycle.id) == Priority.cycle_id)
        .where(col(Cycle.site_id).in_(site_ids), here).group_by(Priority.challenge)).all())
    action_counts: dict[int, dict[str, int]] = defaultdict(dict)
    # A chain of carried actions is one piece of work: counted once, in its latest cycle.
    later = aliased(Action)
    carried_on = select(later.id).where(later.carried_from_id == Action.id).exists()
    for site_id, status, count in session.exec(
            select(Cycle.site_id, Action.status, func.count())
            .join(Cycle, col(Cycle.id) == Action.cycle_id)
            .where(col(Cycle.site_id).in_(site_ids), here, ~carried_on)
            .group_by(Cycle.site_id, Action.status)):
        action_counts[site_id][status] = count
    meetings = list(session.exec(select(Meeting).where(Meeting.learning_set_id == ls.id)
                                 .order_by(col(Meeting.held_on))).all())
    progress = progress_rule.by_quarter(levels, [m.held_on for m in meetings])
    return SetDashboard(learning_set=ls, sites=sites, latest=latest, progress=progress,
                        priority_counts=priority_counts, action_counts=dict(action_counts),
                        meetings=meetings,
                        by_meeting=meeting_links.by_meeting(session, learning_set_id=ls.id),
                        progress_scores=scores_rule.latest_by_site(session, site_ids,
                                                                   learning_set_id=ls.id))


@dataclass
class Unheard:
    """A signed-off consensus with challenges no one with lived experience answered."""

    site: Site
    cycle_id: int
    cycle_number: int
    challenges: list[int]

    @property
    def everywhere(self) -> bool:
        return len(self.challenges) == len(CHALLENGE_NUMBERS)


@dataclass
class ProgrammeComparison:
    sites: list[Site]
    latest: dict[int, dict[int, int]]
    set_names: dict[int, str]
    progress: progress_rule.Progress  # per learning set, by quarter
    no_lived_experience: list[Unheard] = field(default_factory=list)
    progress_scores: dict = field(default_factory=dict)  # site id -> scores_rule.Latest


def lived_experience_gaps(session: Session, sites: list[Site]) -> list[Unheard]:
    """The sites' signed-off cycles with challenges no one with lived experience answered
    (a "don't know" is an answer), by site then cycle (two queries)."""
    by_id = {s.id: s for s in sites}
    signed = session.exec(select(Cycle.id, Cycle.site_id, Cycle.number).where(
        col(Cycle.site_id).in_(list(by_id) or [-1]), col(Cycle.signed_off_at).is_not(None))
        .order_by(col(Cycle.number))).all()
    gaps = voices.not_heard_from(session, [cycle_id for cycle_id, _, _ in signed])
    out = [Unheard(site=by_id[site_id], cycle_id=cycle_id, cycle_number=number,
                   challenges=gaps[cycle_id])
           for cycle_id, site_id, number in signed if gaps[cycle_id]]
    order = {s.id: i for i, s in enumerate(sites)}
    return sorted(out, key=lambda u: (order[u.site.id], u.cycle_number))


def programme_comparison(session: Session, *, kind: str | None = None,
                         learning_set_id: int | None = None,
                         region: str | None = None) -> ProgrammeComparison:
    """Every site's latest agreed levels, each learning set's progress by quarter, the
    sites' latest progress scores, and which signed-off consensus lacked a lived-experience
    voice, filtered (seven queries); filtered by learning set, the set's sites and their
    latest cycles run in it."""
    query = select(Site).where(col(Site.archived_at).is_(None)).order_by(col(Site.name))
    if kind:
        query = query.where(Site.kind == kind)
    if learning_set_id:
        query = query.where(or_(Site.learning_set_id == learning_set_id, col(Site.id).in_(
            select(Cycle.site_id).where(set_history.ran_in(learning_set_id)))))
    if region:
        query = query.where(Site.region == region)
    sites = list(session.exec(query).all())
    latest = latest_levels(session, [s.id for s in sites], learning_set_id=learning_set_id or None)
    set_names = dict(session.exec(select(LearningSet.id, LearningSet.name)).all())
    progress = progress_rule.by_quarter(
        progress_rule.signed_off_levels(session, site_ids=[s.id for s in sites]))
    return ProgrammeComparison(sites=sites, latest=latest, set_names=set_names,
                               progress=progress,
                               no_lived_experience=lived_experience_gaps(session, sites),
                               progress_scores=scores_rule.latest_by_site(
                                   session, [s.id for s in sites],
                                   learning_set_id=learning_set_id or None))
