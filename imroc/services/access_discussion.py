"""Who may read and take part in discussion, and who may moderate it (split from access.py,
which decides everything else about who may see or do what).

A learning set's threads: its sites' people, its facilitators and the programme team.
Programme threads: everyone signed in. Moderating (hiding a post): the set's facilitators
and the programme team; for programme threads, the programme team.
"""

from sqlmodel import Session, col, select

from imroc.errors import Forbidden, NotFound
from imroc.models import LearningSet, LearningSetFacilitator, Membership, Site, User
from imroc.models.user import GlobalRole
from imroc.services.access import Principal


def member_set_ids(session: Session, p: Principal) -> frozenset[int]:
    """The learning sets the person's sites belong to now (one query)."""
    if not p.memberships:
        return frozenset()
    return frozenset(session.exec(select(Site.learning_set_id).where(
        col(Site.id).in_(list(p.memberships)), col(Site.learning_set_id).is_not(None))).all())


def can_discuss_in_set(session: Session, p: Principal, learning_set_id: int) -> bool:
    return (p.is_programme or learning_set_id in p.facilitated_set_ids
            or learning_set_id in member_set_ids(session, p))


def ensure_discuss_in_set(session: Session, p: Principal, ls: LearningSet | None) -> LearningSet:
    if ls is None or not can_discuss_in_set(session, p, ls.id):
        raise NotFound("Learning set not found")
    return ls


def can_view_thread(session: Session, p: Principal, thread) -> bool:
    return thread.learning_set_id is None or can_discuss_in_set(session, p,
                                                                 thread.learning_set_id)


def ensure_view_thread(session: Session, p: Principal, thread):
    if thread is None or not can_view_thread(session, p, thread):
        raise NotFound("Thread not found")
    return thread


def can_moderate_thread(p: Principal, thread) -> bool:
    return p.is_programme or (thread.learning_set_id is not None
                              and thread.learning_set_id in p.facilitated_set_ids)


def ensure_moderate_thread(session: Session, p: Principal, thread) -> None:
    ensure_view_thread(session, p, thread)
    if not can_moderate_thread(p, thread):
        raise Forbidden("Only the learning set's facilitators and the programme team can "
                        "hide posts" if thread.learning_set_id is not None
                        else "Only the programme team can hide posts in programme threads")


def thread_audience(session: Session, thread, user_ids: list[int]) -> set[int]:
    """Which of these people may see the thread (for notices: no one hears of a thread they
    cannot open)."""
    ids = set(user_ids)
    if not ids or thread.learning_set_id is None:
        return ids
    set_id = thread.learning_set_id
    programme = session.exec(select(User.id).where(col(User.id).in_(ids), col(
        User.global_role).in_([GlobalRole.programme_team, GlobalRole.admin]))).all()
    facilitators = session.exec(select(LearningSetFacilitator.user_id).where(
        col(LearningSetFacilitator.user_id).in_(ids),
        LearningSetFacilitator.learning_set_id == set_id)).all()
    members = session.exec(select(Membership.user_id).join(
        Site, col(Site.id) == Membership.site_id).where(
        col(Membership.user_id).in_(ids), Site.learning_set_id == set_id)).all()
    return set(programme) | set(facilitators) | set(members)
