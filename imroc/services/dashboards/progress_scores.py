"""Progress scores for the dashboards, reports and exports, in SQL with one query each."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from imroc.models import Cycle, ProgressScore
from imroc.models.progress_score import level_name, score_text
from imroc.services import set_history


@dataclass(frozen=True)
class Latest:
    """A site's progress scores from its latest cycle that has any."""

    cycle_number: int
    site: float | None
    facilitator: float | None

    def text(self, giver: str) -> str:
        """The score and its step's name, as a table shows it: "3.5 Clear improvement"."""
        value = getattr(self, giver)
        return f"{score_text(value)} {level_name(value)}" if value is not None else ""


def by_cycle(session: Session, cycle_ids: list[int]) -> dict[int, dict[str, float]]:
    """Each cycle's scores by giver (one query)."""
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for cycle_id, giver, score in session.exec(
            select(ProgressScore.cycle_id, ProgressScore.giver, ProgressScore.score)
            .where(col(ProgressScore.cycle_id).in_(cycle_ids or [-1]))):
        out[cycle_id][giver] = score
    return dict(out)


def latest_by_site(session: Session, site_ids: list[int],
                   learning_set_id: int | None = None) -> dict[int, Latest]:
    """Each site's scores from its latest scored cycle (of those run in the learning set, when
    one is given) (one query)."""
    latest = (select(Cycle.site_id, func.max(Cycle.number).label("number"))
              .join(ProgressScore, col(ProgressScore.cycle_id) == Cycle.id)
              .where(col(Cycle.site_id).in_(site_ids or [-1])).group_by(Cycle.site_id))
    if learning_set_id is not None:
        latest = latest.where(set_history.ran_in(learning_set_id))
    sub = latest.subquery()
    found: dict[int, tuple[int, dict[str, float]]] = {}
    for site_id, number, giver, score in session.exec(
            select(Cycle.site_id, Cycle.number, ProgressScore.giver, ProgressScore.score)
            .join(sub, and_(col(Cycle.site_id) == sub.c.site_id,
                            col(Cycle.number) == sub.c.number))
            .join(ProgressScore, col(ProgressScore.cycle_id) == Cycle.id)):
        found.setdefault(site_id, (number, {}))[1][giver] = score
    return {site_id: Latest(number, scores.get("site"), scores.get("facilitator"))
            for site_id, (number, scores) in found.items()}
