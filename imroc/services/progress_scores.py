"""Progress scores of a cycle: the site's (given by its lead) and the facilitator's, each on
the collaborative progress scale, with a compare-and-set save so no edit is lost."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid
from imroc.models import Cycle, ProgressScore, Site, User
from imroc.models.progress_score import (
    PROGRESS_LEVELS,
    STEPS_MESSAGE,
    Giver,
    ProgressLevelOut,
    ProgressScoreIn,
    ProgressScoreOut,
    is_progress_score,
    level_name,
)
from imroc.services import audit
from imroc.services.access import Principal, can_give_progress_score, ensure_give_progress_score

STALE = "Someone else changed this progress score while you were editing it"
FIELDS = ("score", "comment")


def levels() -> list[ProgressLevelOut]:
    """The steps of the scale, lowest first, each with its name and words."""
    return [ProgressLevelOut(score=score, name=name, words=words)
            for score, (name, words) in sorted(PROGRESS_LEVELS.items())]


def scores_of(session: Session, *, cycle: Cycle) -> dict[str, ProgressScore]:
    """The cycle's progress scores by giver (one query)."""
    rows = session.exec(select(ProgressScore).where(ProgressScore.cycle_id == cycle.id)).all()
    return {row.giver: row for row in rows}


def givers_of(session: Session, *, rows: dict[str, ProgressScore]) -> dict[int, str]:
    """The names of the people who gave these scores (one query)."""
    ids = [r.given_by for r in rows.values() if r.given_by is not None]
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())


def may_give(principal: Principal, *, site: Site, cycle: Cycle) -> dict[str, bool]:
    """Which of the cycle's two scores this person may give."""
    return {g.value: can_give_progress_score(principal, site, cycle, g.value) for g in Giver}


def public(cycle: Cycle, giver: str, row: ProgressScore | None) -> ProgressScoreOut:
    return ProgressScoreOut(
        cycle_id=cycle.id, giver=Giver(giver), score=row.score if row else None,
        level=level_name(row.score) if row else "", comment=row.comment if row else "",
        given_by=row.given_by if row else None, updated_at=row.updated_at if row else None,
        version=row.version if row else None)


def set_score(session: Session, *, cycle: Cycle, site: Site, giver: str, data: ProgressScoreIn,
              principal: Principal, at: datetime | None = None) -> ProgressScore:
    """Give or change one giver's progress score for the cycle. Send the version you read
    when a score is already there; a stale or missing one is refused (409)."""
    giver = Giver(giver).value
    ensure_give_progress_score(principal, site, cycle, giver)
    if not is_progress_score(data.score):
        raise Invalid({"score": f"The progress score {STEPS_MESSAGE}"})
    now = at or utcnow()
    comment = data.comment.strip()
    row = scores_of(session, cycle=cycle).get(giver)
    if row is None:
        if data.version is not None:
            raise Conflict(STALE, current=public(cycle, giver, None))
        row = ProgressScore(cycle_id=cycle.id, giver=giver, score=data.score, comment=comment,
                            given_by=principal.user.id, created_at=now, updated_at=now)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # the other giver of the same score saved a moment ago
            session.rollback()
            raise Conflict(STALE, current=public(
                cycle, giver, scores_of(session, cycle=cycle).get(giver))) from None
        before = None
    else:
        if data.version != row.version:
            raise Conflict(STALE, current=public(cycle, giver, row))
        before = audit.snapshot(row, FIELDS)
        if (row.score, row.comment) == (data.score, comment):
            return row
        result = session.execute(update(ProgressScore).where(
            col(ProgressScore.id) == row.id, col(ProgressScore.version) == data.version).values(
            score=data.score, comment=comment, given_by=principal.user.id,
            version=ProgressScore.version + 1, updated_at=now))
        if result.rowcount != 1:
            session.rollback()
            session.refresh(row)
            raise Conflict(STALE, current=public(cycle, giver, row))
    audit.record(session, actor=principal.user, action="progress_score", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, at=now,
                 before={"giver": giver, **before} if before else None,
                 after={"giver": giver, "score": data.score, "comment": comment})
    session.commit()
    session.refresh(row)
    return row
