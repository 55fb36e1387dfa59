"""Learning-set meetings and the sites' cycles tied to them: what each cycle brought."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from imroc.errors import NotFound
from imroc.models import ConsensusScore, Cycle, LearningSet, Meeting, Site
from imroc.services.access import Principal, ensure_view_learning_set


@dataclass
class MeetingCycle:
    """A site's cycle tied to a meeting: its stage and the levels agreed (when signed off)."""

    site: Site
    cycle: Cycle
    levels: dict[int, int] = field(default_factory=dict)  # challenge -> agreed level

    @property
    def signed_off(self) -> bool:
        return self.cycle.signed_off_at is not None


def get_meeting(session: Session, *, meeting_id: int,
                principal: Principal) -> tuple[Meeting, LearningSet]:
    """A meeting and its set, 404 when unknown or the set is not visible to this person."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("Meeting not found")
    try:
        ls = ensure_view_learning_set(principal, session.get(LearningSet,
                                                             meeting.learning_set_id))
    except NotFound:
        raise NotFound("Meeting not found") from None
    return meeting, ls


def by_meeting(session: Session, *, learning_set_id: int | None = None,
               meeting_id: int | None = None) -> dict[int, list[MeetingCycle]]:
    """Meeting id -> the cycles tied to it, by site name, each with its agreed levels
    (two queries, whatever the number of meetings and sites)."""
    query = (select(Cycle, Site).join(Site, col(Site.id) == Cycle.site_id)
             .join(Meeting, col(Meeting.id) == Cycle.meeting_id))
    if learning_set_id is not None:
        query = query.where(Meeting.learning_set_id == learning_set_id)
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    found = session.exec(query.order_by(col(Site.name), col(Cycle.number))).all()
    signed = [c.id for c, _ in found if c.signed_off_at is not None]
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for cycle_id, challenge, level in session.exec(
            select(ConsensusScore.cycle_id, ConsensusScore.challenge, ConsensusScore.level)
            .where(col(ConsensusScore.cycle_id).in_(signed or [-1]))):
        levels[cycle_id][challenge] = level
    out: dict[int, list[MeetingCycle]] = defaultdict(list)
    for cycle, site in found:
        out[cycle.meeting_id].append(MeetingCycle(site=site, cycle=cycle,
                                                  levels=dict(levels.get(cycle.id, {}))))
    return dict(out)


def options_for(session: Session, *, cycle: Cycle) -> list[Meeting]:
    """The meetings a cycle may be tied to: those of the learning set it runs in."""
    if cycle.learning_set_id is None:
        return []
    return list(session.exec(select(Meeting).where(
        Meeting.learning_set_id == cycle.learning_set_id).order_by(col(Meeting.held_on))).all())
