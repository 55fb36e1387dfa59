"""Which learning set a cycle belongs to: the set its site was in when the cycle ran.

A site that moves set leaves its earlier cycles with the set they ran in. Every learning-set
aggregate (dashboard, presentation, report, exports, the progress API) takes its cycles
through `ran_in` and its sites through `set_site_ids`, so they all agree; the site's own
pages show its whole history, with `moves` marking where it changed set.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from imroc.models import Cycle, LearningSet, Site, SiteLearningSet


def ran_in(learning_set_id: int) -> ColumnElement[bool]:
    """The SQL condition for a cycle run in this learning set (use it with `Cycle`)."""
    return col(Cycle.learning_set_id) == learning_set_id


def set_site_ids(session: Session, *, ls: LearningSet, include_archived: bool = True) -> list[int]:
    """The sites a set's aggregates cover: its members now and the sites that ran cycles in
    it before moving on (one query)."""
    ran_here = select(Cycle.site_id).where(ran_in(ls.id))
    query = select(Site.id).where(or_(Site.learning_set_id == ls.id,
                                      col(Site.id).in_(ran_here)))
    if not include_archived:
        query = query.where(col(Site.archived_at).is_(None))
    return list(session.exec(query).all())


def set_sites(session: Session, *, ls: LearningSet, include_archived: bool = True) -> list[Site]:
    """Those sites by name (current and former members with cycles in the set)."""
    ran_here = select(Cycle.site_id).where(ran_in(ls.id))
    query = select(Site).where(or_(Site.learning_set_id == ls.id, col(Site.id).in_(ran_here)))
    if not include_archived:
        query = query.where(col(Site.archived_at).is_(None))
    return list(session.exec(query.order_by(col(Site.name))).all())


def set_on(session: Session, *, site: Site, on: date) -> int | None:
    """The learning set the site was in on a day, by its membership history: a day before
    every membership counts as the first set it joined; a site with no history, its current
    set; a day between two memberships, no set (the rule the migration backfilled with)."""
    periods = list(session.exec(select(SiteLearningSet).where(
        SiteLearningSet.site_id == site.id)
        .order_by(col(SiteLearningSet.joined_on), col(SiteLearningSet.id))).all())
    if not periods:
        return site.learning_set_id
    covering = [p for p in periods if p.joined_on <= on and (p.left_on is None or p.left_on > on)]
    if covering:
        return covering[-1].learning_set_id
    if on < periods[0].joined_on:
        return periods[0].learning_set_id
    return None


@dataclass
class Move:
    """The site joined another learning set on `joined_on`."""

    joined_on: date
    set_name: str


def moves(session: Session, *, site: Site, cycles: list[Cycle]) -> list[Move]:
    """Every change of learning set, oldest first (one query): each membership after the
    first, and a first one that came after cycles run in another set."""
    rows = session.exec(
        select(SiteLearningSet.joined_on, SiteLearningSet.learning_set_id, LearningSet.name)
        .join(LearningSet, col(LearningSet.id) == SiteLearningSet.learning_set_id)
        .where(SiteLearningSet.site_id == site.id)
        .order_by(col(SiteLearningSet.joined_on), col(SiteLearningSet.id))).all()
    out = []
    for i, (joined_on, set_id, name) in enumerate(rows):
        elsewhere = any(c.learning_set_id not in (None, set_id) and c.started_on < joined_on
                        for c in cycles)
        if i > 0 or elsewhere:
            out.append(Move(joined_on=joined_on, set_name=name))
    return out


def with_moves(cycles: list[Cycle], moves_made: list[Move]) -> list[tuple[str, object]]:
    """The cycles oldest first with each move placed before the first cycle started on or
    after it: ("cycle", cycle) and ("move", Move) entries, for the site's cycle list."""
    out: list[tuple[str, object]] = []
    pending = list(moves_made)
    for cycle in cycles:
        while pending and pending[0].joined_on <= cycle.started_on:
            out.append(("move", pending.pop(0)))
        out.append(("cycle", cycle))
    out += [("move", m) for m in pending]
    return out
