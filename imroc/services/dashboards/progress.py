"""Progress over time by calendar quarter, for a learning set and across learning sets.

For each quarter, the agreed level each site had at its end: the consensus of its latest
cycle signed off by then, carried forward until its next sign-off. A consensus counts from
the day it was signed off (`cycle.signed_off_at`, as a date in England); imported history
carries its own sign-off dates. Each cell is the mean of those levels with the number of
sites behind it (n), so a quarter in which only some sites had signed off says so.

One query reads the signed-off levels (whatever the number of sites); the carrying forward is
done here, in plain Python, on the rows it returns.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from imroc import periods
from imroc.clock import uk_date_of
from imroc.models import ConsensusScore, Cycle, Site
from imroc.models.framework import CHALLENGE_NUMBERS


def cycle_learning_set() -> ColumnElement:
    """The learning set a cycle counts towards: the set its site was in when it ran."""
    return col(Cycle.learning_set_id)


@dataclass(frozen=True)
class Cell:
    mean: float | None
    n: int  # sites with an agreed level at the end of the quarter


@dataclass
class Progress:
    """Quarters (their first days, oldest first) and, per group (a learning set), the cells
    per challenge and for all ten challenges together."""

    quarters: list[date]
    by_challenge: dict[int | None, dict[int, list[Cell]]] = field(default_factory=dict)
    overall: dict[int | None, list[Cell]] = field(default_factory=dict)

    def cells(self, group: int | None, challenge: int) -> list[Cell]:
        empty = [Cell(None, 0)] * len(self.quarters)
        return self.by_challenge.get(group, {}).get(challenge, empty)

    def overall_of(self, group: int | None) -> list[Cell]:
        return self.overall.get(group, [Cell(None, 0)] * len(self.quarters))


# (group, site id, cycle number, signed off at, challenge, level)
Row = tuple[int | None, int, int, datetime, int, int]


def signed_off_levels(session: Session, *, learning_set_ids: list[int | None] | None = None,
                      site_ids: list[int] | None = None) -> list[Row]:
    """Every signed-off agreed level of the chosen sets' (or sites') active sites (one query)."""
    group = cycle_learning_set()
    query = (select(group, Cycle.site_id, Cycle.number, Cycle.signed_off_at,
                    ConsensusScore.challenge, ConsensusScore.level)
             .join(Site, col(Site.id) == Cycle.site_id)
             .join(ConsensusScore, col(ConsensusScore.cycle_id) == Cycle.id)
             .where(col(Cycle.signed_off_at).is_not(None), col(Site.archived_at).is_(None)))
    if learning_set_ids is not None:
        query = query.where(group.in_([i for i in learning_set_ids if i is not None] or [-1]))
    if site_ids is not None:
        query = query.where(col(Cycle.site_id).in_(site_ids or [-1]))
    return [tuple(r) for r in session.exec(query).all()]  # type: ignore[misc]


def quarters_spanning(days: Iterable[date]) -> list[date]:
    """Every calendar quarter from the one holding the earliest day to the latest's."""
    days = list(days)
    if not days:
        return []
    return periods.between(min(days), max(days), "quarterly")


def by_quarter(rows: list[Row], extra_days: Iterable[date] = ()) -> Progress:
    """The mean agreed level at the end of each quarter, and n, carried forward."""
    # (group, site, challenge) -> [(day, signed off at, cycle number, level)], in order
    timelines: dict[tuple, list[tuple[date, datetime, int, int]]] = defaultdict(list)
    for group, site_id, number, signed_at, challenge, level in rows:
        timelines[(group, site_id, challenge)].append(
            (uk_date_of(signed_at), signed_at, number, level))
    quarters = quarters_spanning([t[0] for line in timelines.values() for t in line]
                                 + list(extra_days))
    ends = [periods.following(q, "quarterly") for q in quarters]
    # group -> challenge -> quarter index -> levels; group -> quarter -> site -> levels
    levels: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    everything: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for (group, site_id, challenge), line in timelines.items():
        line.sort(key=lambda t: (t[1], t[2]))
        at = -1
        for i, end in enumerate(ends):
            while at + 1 < len(line) and line[at + 1][0] < end:
                at += 1
            if at >= 0:
                levels[group][challenge][i].append(line[at][3])
                everything[group][i][site_id].append(line[at][3])
    progress = Progress(quarters=quarters)
    for group, per_challenge in levels.items():
        progress.by_challenge[group] = {
            n: [_cell(per_challenge[n][i]) for i in range(len(quarters))]
            for n in CHALLENGE_NUMBERS}
        progress.overall[group] = [
            Cell(_mean([v for site in everything[group][i].values() for v in site]),
                 len(everything[group][i])) for i in range(len(quarters))]
    return progress


def _cell(values: list[int]) -> Cell:
    return Cell(_mean(values), len(values))


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None
