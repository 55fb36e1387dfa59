"""The facilitator's view of a cycle: their own ratings beside the site's, and feedback."""

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Conflict
from imroc.models import Cycle, FacilitatorRating, Feedback, Site, User
from imroc.models.assessment import RatingsIn
from imroc.models.cycle import FeedbackCreate, Stage
from imroc.services import audit, bulk, notices
from imroc.services.access import Principal, ensure_facilitator, ensure_feedback
from imroc.services.assessments import check_items


def list_facilitator_ratings(session: Session, *, cycle: Cycle) -> list[FacilitatorRating]:
    return list(session.exec(select(FacilitatorRating).where(
        FacilitatorRating.cycle_id == cycle.id).order_by(col(FacilitatorRating.challenge))).all())


def set_facilitator_ratings(session: Session, *, cycle: Cycle, site: Site, data: RatingsIn,
                            principal: Principal) -> list[FacilitatorRating]:
    """A facilitator of the site's learning set records their own view."""
    ensure_facilitator(principal, site)
    if cycle.stage == Stage.closed:
        raise Conflict("This cycle is closed")
    check_items(session, cycle, data.ratings, "ratings")
    rows = {r.challenge: r for r in list_facilitator_ratings(session, cycle=cycle)
            if r.rater_id == principal.user.id}
    for item in data.ratings:
        row = rows.get(item.challenge) or FacilitatorRating(
            cycle_id=cycle.id, rater_id=principal.user.id, challenge=item.challenge, level=0)
        row.level, row.comment, row.updated_at = item.level, item.comment.strip(), utcnow()
        session.add(row)
        rows[item.challenge] = row
    audit.record(session, actor=principal.user, action="facilitator_rate", entity="cycle",
                 entity_id=cycle.id, site_id=site.id,
                 after={"levels": {c: r.level for c, r in sorted(rows.items())}})
    session.commit()
    return sorted(rows.values(), key=lambda r: r.challenge)


def list_feedback(session: Session, *, cycle: Cycle) -> list[Feedback]:
    return list(session.exec(select(Feedback).where(Feedback.cycle_id == cycle.id)
                             .order_by(col(Feedback.id))).all())


def list_feedback_with_authors(session: Session, *, cycle: Cycle) -> list[tuple[Feedback, str]]:
    """The feedback on a cycle, oldest first, each with its author's name (one query)."""
    rows = session.exec(select(Feedback, User.name).join(User, User.id == Feedback.author_id)
                        .where(Feedback.cycle_id == cycle.id).order_by(col(Feedback.id))).all()
    return [(f, name) for f, name in rows]


def give_feedback(session: Session, *, cycle: Cycle, site: Site, data: FeedbackCreate,
                  principal: Principal) -> Feedback:
    ensure_feedback(principal, site)
    row = Feedback(cycle_id=cycle.id, author_id=principal.user.id, body=data.body.strip())
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.user, action="feedback", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, after={"feedback_id": row.id})
    notices.feedback_given(session, cycle=cycle, site=site, feedback_id=row.id,
                           author=principal.user.name)
    session.commit()
    return row


# --- many at once (imports) ---------------------------------------------------------------

def add_facilitator_ratings(session: Session, rows: list[dict]) -> int:
    """Facilitators' own ratings: cycle_id, rater_id, challenge, level, comment."""
    return bulk.insert_rows(session, FacilitatorRating,
                            [{**r, "comment": r["comment"].strip()} for r in rows])


def add_feedback(session: Session, rows: list[dict]) -> int:
    """Feedback on cycles: cycle_id, author_id, body (and when it was written)."""
    return bulk.insert_rows(session, Feedback, [{**r, "body": r["body"].strip()} for r in rows])
