"""Objectives reached: each priority's target against the level agreed at the next
signed-off assessment.

The rule, in one place and in SQL: a priority set in cycle N is read against the consensus
for its challenge in the site's first later cycle that is signed off and scored that
challenge. `reached` when that level is at or above the target; `partly` when it is above
the priority's current level but below the target; `not_yet` when it is no higher than the
current level; `no_rescore` while no later signed-off assessment has scored it. Every
function here issues one query, however many priorities there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import ColumnElement, case, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from imroc.models import ConsensusScore, Cycle, Priority, Site
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.services import learning_sets, set_history, sites
from imroc.services.access import Principal

REACHED, PARTLY, NOT_YET, NO_RESCORE = "reached", "partly", "not_yet", "no_rescore"
ATTAINMENTS = (REACHED, PARTLY, NOT_YET, NO_RESCORE)
LABELS = {REACHED: "Reached", PARTLY: "Partly", NOT_YET: "Not yet",
          NO_RESCORE: "Not rescored yet"}
TAG_COLOURS = {REACHED: "green", PARTLY: "yellow", NOT_YET: "grey", NO_RESCORE: "white"}


@dataclass(frozen=True)
class Outcome:
    """One priority read against the next signed-off assessment."""

    priority_id: int
    attainment: str
    rescored_level: int | None
    rescored_cycle_number: int | None
    rescored_cycle_id: int | None

    @property
    def label(self) -> str:
        return LABELS[self.attainment]

    @property
    def sentence(self) -> str:
        """"Reached: agreed level 3 at cycle 3", or why there is no level yet."""
        if self.rescored_level is None:
            return "Not rescored yet: no later signed-off assessment"
        return (f"{self.label}: agreed level {self.rescored_level} "
                f"at cycle {self.rescored_cycle_number}")


def _rescore():
    """The later signed-off cycle and level for the priority's challenge (correlated
    subqueries on `Priority` and `Cycle`)."""
    later = aliased(Cycle)
    score = aliased(ConsensusScore)
    first = (select(later.id, later.number, score.level)
             .join(score, col(score.cycle_id) == later.id)
             .where(later.site_id == Cycle.site_id, col(later.number) > Cycle.number,
                    col(later.signed_off_at).is_not(None), score.challenge == Priority.challenge)
             .order_by(col(later.number)).limit(1).correlate(Cycle, Priority))
    return (first.with_only_columns(later.id).scalar_subquery().label("rescored_cycle_id"),
            first.with_only_columns(later.number).scalar_subquery().label("rescored_number"),
            first.with_only_columns(score.level).scalar_subquery().label("rescored_level"))


def attainment_of(level: ColumnElement, current: ColumnElement,
                  target: ColumnElement) -> ColumnElement[str]:
    """The rule as a SQL expression."""
    return case((level.is_(None), literal(NO_RESCORE)),
                (level >= target, literal(REACHED)),
                (level > current, literal(PARTLY)),
                else_=literal(NOT_YET))


def outcomes_query(*, cycle_ids: list[int] | None = None, site_ids: list[int] | None = None,
                   learning_set_id: int | None = None):
    """Each priority (with its site's kind and the set its cycle ran in) and its outcome, as
    a subquery with columns priority_id, cycle_id, site_id, kind, learning_set_id,
    challenge, attainment, rescored_level, rescored_number, rescored_cycle_id."""
    cycle_id, number, level = _rescore()
    inner = (select(col(Priority.id).label("priority_id"), Priority.cycle_id,
                    col(Cycle.site_id).label("site_id"), col(Site.kind).label("kind"),
                    col(Cycle.learning_set_id).label("learning_set_id"),
                    col(Priority.challenge).label("challenge"),
                    col(Priority.current_level).label("current_level"),
                    col(Priority.target_level).label("target_level"), cycle_id, number, level)
             .join(Cycle, col(Cycle.id) == Priority.cycle_id)
             .join(Site, col(Site.id) == Cycle.site_id))
    if cycle_ids is not None:
        inner = inner.where(col(Priority.cycle_id).in_(cycle_ids or [-1]))
    if site_ids is not None:
        inner = inner.where(col(Cycle.site_id).in_(site_ids or [-1]))
    if learning_set_id is not None:
        inner = inner.where(set_history.ran_in(learning_set_id))
    sub = inner.subquery()
    return select(sub.c.priority_id, sub.c.cycle_id, sub.c.site_id, sub.c.kind,
                  sub.c.learning_set_id, sub.c.challenge, sub.c.rescored_level,
                  sub.c.rescored_number, sub.c.rescored_cycle_id,
                  attainment_of(sub.c.rescored_level, sub.c.current_level,
                                sub.c.target_level).label("attainment")).subquery()


def for_cycles(session: Session, cycle_ids: list[int]) -> dict[int, Outcome]:
    """The outcome of every priority of these cycles, by priority id (one query)."""
    return outcomes(session, cycle_ids=cycle_ids)


def outcomes(session: Session, *, cycle_ids: list[int] | None = None,
             site_ids: list[int] | None = None,
             learning_set_id: int | None = None) -> dict[int, Outcome]:
    """The outcome of every priority of these cycles or sites (of the cycles run in the
    learning set, when given), by priority id (one query)."""
    o = outcomes_query(cycle_ids=cycle_ids, site_ids=site_ids, learning_set_id=learning_set_id)
    return {r.priority_id: Outcome(priority_id=r.priority_id, attainment=r.attainment,
                                   rescored_level=r.rescored_level,
                                   rescored_cycle_number=r.rescored_number,
                                   rescored_cycle_id=r.rescored_cycle_id)
            for r in session.exec(select(*o.c)).all()}


def by_cycle(session: Session, cycle_ids: list[int]
             ) -> dict[int, list[tuple[Priority, Outcome | None]]]:
    """Each cycle's priorities by rank, each with its outcome (two queries)."""
    outcomes = for_cycles(session, cycle_ids)
    out: dict[int, list[tuple[Priority, Outcome | None]]] = defaultdict(list)
    for p in session.exec(select(Priority).where(col(Priority.cycle_id).in_(cycle_ids or [-1]))
                          .order_by(col(Priority.cycle_id), col(Priority.rank))).all():
        out[p.cycle_id].append((p, outcomes.get(p.id)))
    return dict(out)


@dataclass
class Summary:
    """How many priorities reached their target, by challenge and in total."""

    by_challenge: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> dict[str, int]:
        out = dict.fromkeys(ATTAINMENTS, 0)
        for counts in self.by_challenge.values():
            for a, n in counts.items():
                out[a] += n
        return out

    @property
    def priorities(self) -> int:
        return sum(self.total.values())

    def rows(self) -> list[tuple[int, dict[str, int]]]:
        """The challenges that had priorities, in order, with every attainment counted."""
        return [(c, {a: self.by_challenge[c].get(a, 0) for a in ATTAINMENTS})
                for c in CHALLENGE_NUMBERS if c in self.by_challenge]


def summary(session: Session, *, site_ids: list[int] | None = None,
            learning_set_id: int | None = None) -> Summary:
    """Counts of each attainment per challenge, for these sites' priorities (of cycles run
    in the learning set, when one is given) (one query)."""
    o = outcomes_query(site_ids=site_ids, learning_set_id=learning_set_id)
    by: dict[int, dict[str, int]] = defaultdict(dict)
    for challenge, attainment, n in session.exec(
            select(o.c.challenge, o.c.attainment, func.count())
            .group_by(o.c.challenge, o.c.attainment)):
        by[challenge][attainment] = n
    return Summary(by_challenge=dict(by))


def by_group(session: Session, *, site_ids: list[int],
             learning_set_id: int | None = None) -> dict[str, dict[object, dict[str, int]]]:
    """Counts of each attainment by site kind and by the learning set each cycle ran in,
    for the programme view (one query): {"kind": {kind: counts}, "set": {set id: counts}}."""
    o = outcomes_query(site_ids=site_ids, learning_set_id=learning_set_id)
    out: dict[str, dict[object, dict[str, int]]] = {"kind": {}, "set": {}}
    for kind, set_id, attainment, n in session.exec(
            select(o.c.kind, o.c.learning_set_id, o.c.attainment, func.count())
            .group_by(o.c.kind, o.c.learning_set_id, o.c.attainment)):
        for group, key in (("kind", kind), ("set", set_id)):
            counts = out[group].setdefault(key, dict.fromkeys(ATTAINMENTS, 0))
            counts[attainment] += n
    return out


# --- the API's summary --------------------------------------------------------------------

class AttainmentCounts(BaseModel):
    reached: int = 0
    partly: int = 0
    not_yet: int = 0
    no_rescore: int = 0
    priorities: int = 0


class ChallengeCounts(AttainmentCounts):
    challenge: int


class ObjectivesReport(BaseModel):
    site_id: int | None
    learning_set_id: int | None
    challenges: list[ChallengeCounts]
    total: AttainmentCounts


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "priorities": sum(counts.values())}


def report(session: Session, *, principal: Principal, site_id: int | None = None,
           learning_set_id: int | None = None) -> ObjectivesReport:
    """The summary for the sites a person may see: one site, a learning set's cycles, or
    all (404 for a site or set they may not see)."""
    if site_id is not None:
        site_ids = [sites.get_site(session, site_id=site_id, principal=principal).id]
        if learning_set_id is not None:
            learning_sets.get_learning_set(session, learning_set_id=learning_set_id,
                                           principal=principal)
    elif learning_set_id is not None:
        ls = learning_sets.get_learning_set(session, learning_set_id=learning_set_id,
                                            principal=principal)
        site_ids = set_history.set_site_ids(session, ls=ls)
    else:
        site_ids = [s.id for s in sites.list_sites(session, principal=principal)]
    s = summary(session, site_ids=site_ids, learning_set_id=learning_set_id)
    return ObjectivesReport(
        site_id=site_id, learning_set_id=learning_set_id,
        challenges=[ChallengeCounts(challenge=c, **_counts(counts)) for c, counts in s.rows()],
        total=AttainmentCounts(**_counts(s.total)))
