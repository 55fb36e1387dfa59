"""The notices each event of the loop sends, in the words people read (the caller commits)."""

from sqlmodel import Session, select

from imroc.models import Cycle, LearningSetFacilitator, Site
from imroc.models.notification import NotificationKind as Kind
from imroc.services.notifications import notify, site_people


def assessment_opened(session: Session, *, cycle: Cycle, site: Site) -> None:
    notify(session, user_ids=site_people(session, site.id), kind=Kind.assessment_open,
           key=f"assessment_open:{cycle.id}", site_id=site.id, url=f"/cycles/{cycle.id}/rate",
           title=f"Cycle {cycle.number} of {site.name} is open: rate the ten challenges")


def cycle_closed(session: Session, *, cycle: Cycle, site: Site) -> None:
    notify(session, user_ids=site_people(session, site.id), kind=Kind.cycle_closed,
           key=f"cycle_closed:{cycle.id}", site_id=site.id, url=f"/cycles/{cycle.id}",
           title=f"Cycle {cycle.number} of {site.name} is closed")


def _facilitators(session: Session, site: Site) -> list[int]:
    if site.learning_set_id is None:
        return []
    return list(session.exec(select(LearningSetFacilitator.user_id).where(
        LearningSetFacilitator.learning_set_id == site.learning_set_id)).all())


def consensus_signed_off(session: Session, *, cycle: Cycle, site: Site) -> None:
    title = f"The consensus for cycle {cycle.number} of {site.name} is signed off"
    notify(session, user_ids=site_people(session, site.id), kind=Kind.consensus_signed_off,
           key=f"signed_off:{cycle.id}:{cycle.version}", site_id=site.id, title=title,
           url=f"/cycles/{cycle.id}/consensus")
    notify(session, user_ids=_facilitators(session, site), kind=Kind.consensus_signed_off,
           key=f"signed_off:{cycle.id}:{cycle.version}", site_id=site.id,
           title=title + ": give your own rating or feedback",
           url=f"/cycles/{cycle.id}/facilitator")


def feedback_given(session: Session, *, cycle: Cycle, site: Site, feedback_id: int,
                   author: str) -> None:
    notify(session, user_ids=site_people(session, site.id, leads_only=True),
           kind=Kind.feedback, key=f"feedback:{feedback_id}", site_id=site.id,
           url=f"/cycles/{cycle.id}",
           title=f"{author} gave feedback on cycle {cycle.number} of {site.name}")


def discussion_post(session: Session, *, thread, post_id: int, author: str,
                    mentioned: set[int], repliers: set[int]) -> None:
    """Whoever a post @mentions, and whoever wrote in the thread before (a reply)."""
    url = f"/threads/{thread.id}#post-{post_id}"
    notify(session, user_ids=mentioned, kind=Kind.mention, key=f"mention:{post_id}", url=url,
           title=f"{author} mentioned you in the discussion “{thread.title}”"[:500])
    notify(session, user_ids=repliers, kind=Kind.reply, key=f"reply:{post_id}", url=url,
           title=f"{author} replied in the discussion “{thread.title}”"[:500])
