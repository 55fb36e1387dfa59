"""Choosing the few challenges a cycle will work on."""

from datetime import datetime

from sqlmodel import Session, col, delete, select

from imroc.config import get_settings
from imroc.errors import Conflict, Invalid
from imroc.models import ConsensusScore, Cycle, Priority, Site
from imroc.models.action import PrioritiesIn
from imroc.models.cycle import Stage
from imroc.services import audit, bulk
from imroc.services.access import Principal, ensure_lead
from imroc.services.assessments import scale_levels


def list_priorities(session: Session, *, cycle: Cycle) -> list[Priority]:
    return list(session.exec(select(Priority).where(Priority.cycle_id == cycle.id)
                             .order_by(col(Priority.rank))).all())


def check_priorities(session: Session, *, cycle: Cycle, items: list) -> dict[str, str]:
    """Every problem with a cycle's chosen priorities at once, by item
    (`priorities.{i}.{field}`): too many, a challenge chosen twice, ranks, target levels."""
    limit = get_settings().max_priorities
    errors: dict[str, str] = {}
    if len(items) > limit:
        errors["priorities"] = f"Choose at most {limit} priorities"
    agreed = {s.challenge: s.level for s in session.exec(select(ConsensusScore).where(
        ConsensusScore.cycle_id == cycle.id)).all()}
    levels = set(scale_levels(session, cycle))
    challenges: set[int] = set()
    ranks: set[int] = set()
    for i, item in enumerate(items):
        if item.challenge in challenges:
            errors[f"priorities.{i}.challenge"] = f"Challenge {item.challenge} is chosen twice"
        if item.rank in ranks or item.rank > len(items):
            errors[f"priorities.{i}.rank"] = (f"Ranks must be 1 to {len(items)}, each used once")
        if item.target_level not in levels:
            errors[f"priorities.{i}.target_level"] = (
                f"Target level must be one of {', '.join(map(str, sorted(levels)))}")
        elif item.target_level < agreed.get(item.challenge, 0):
            errors[f"priorities.{i}.target_level"] = (
                f"Target level for challenge {item.challenge} cannot be below its agreed "
                f"level ({agreed.get(item.challenge)})")
        challenges.add(item.challenge)
        ranks.add(item.rank)
    return errors


def set_priorities(session: Session, *, cycle: Cycle, site: Site, data: PrioritiesIn,
                   principal: Principal, at: datetime | None = None) -> list[Priority]:
    """Replace the cycle's ranked priorities (at most IMROC_MAX_PRIORITIES)."""
    ensure_lead(principal, site)
    if cycle.stage != Stage.plan:
        raise Conflict("Priorities are set at the plan stage, after the consensus is signed off")
    items = data.priorities
    errors = check_priorities(session, cycle=cycle, items=items)
    if errors:
        raise Invalid(errors)
    agreed = {s.challenge: s.level for s in session.exec(select(ConsensusScore).where(
        ConsensusScore.cycle_id == cycle.id)).all()}
    before = [(p.challenge, p.rank, p.target_level) for p in list_priorities(session, cycle=cycle)]
    session.execute(delete(Priority).where(Priority.cycle_id == cycle.id))
    session.flush()
    rows = [Priority(cycle_id=cycle.id, challenge=i.challenge, rank=i.rank,
                     current_level=agreed.get(i.challenge, 0), target_level=i.target_level,
                     reason=i.reason.strip()) for i in sorted(items, key=lambda i: i.rank)]
    session.add_all(rows)
    audit.record(session, actor=principal.user, action="prioritise", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, before={"priorities": before},
                 after={"priorities": [(p.challenge, p.rank, p.target_level) for p in rows]},
                 at=at)
    session.commit()
    return rows


def add_priorities(session: Session, rows: list[dict]) -> int:
    """Priorities of cycles written in the same transaction (imports): cycle_id, rank,
    challenge, current_level, target_level, reason."""
    return bulk.insert_rows(session, Priority, [{**r, "reason": r["reason"].strip()} for r in rows])
