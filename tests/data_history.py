"""A known history for site A of the factories' World, for the export and import tests."""

import io
import zipfile
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlmodel import Session

from imroc.models import (
    Action,
    ConsensusScore,
    Cycle,
    FacilitatorRating,
    Feedback,
    Meeting,
    Priority,
    Rating,
)
from imroc.services import frameworks
from tests.factories import World

LOOP = ("site", "learning_set", "user_account", "membership", "cycle", "rating",
        "consensus_score", "facilitator_rating", "priority", "action", "feedback", "meeting",
        "site_learning_set", "learning_set_facilitator")


def add_history(session: Session, world: World) -> dict:
    """Two cycles of site A: cycle 1 closed with a full plan, cycle 2 open at assess."""
    fw = frameworks.current(session)
    meeting = Meeting(learning_set_id=world.set_a.id, held_on=date(2024, 3, 5),
                      title="Spring meeting")
    session.add(meeting)
    session.commit()
    one = Cycle(site_id=world.site_a.id, number=1, framework_id=fw.id, stage="closed",
                started_on=date(2024, 1, 8), review_due_on=date(2024, 4, 8),
                learning_set_id=world.set_a.id, meeting_id=meeting.id, aim='=HYPERLINK("http://evil.example")',
                prediction="Half the actions done", study_notes="We learned a lot",
                signed_off_at=datetime(2024, 2, 1, 10, 30, tzinfo=UTC),
                signed_off_by=world.lead.id,
                closed_at=datetime(2024, 4, 10, 9, 0, tzinfo=UTC))
    session.add(one)
    session.commit()
    two = Cycle(site_id=world.site_a.id, number=2, framework_id=fw.id, stage="assess",
                started_on=date(2024, 4, 15), learning_set_id=world.set_a.id)
    session.add(two)
    session.commit()
    session.add_all([
        Rating(cycle_id=one.id, rater_id=world.member.id, perspective="lived_experience",
               challenge=1, level=2, comment="Peer workers now in two teams"),
        Rating(cycle_id=one.id, rater_id=world.lead.id, perspective="staff", challenge=1,
               level=1, comment="-3 incidents since last year"),
        Rating(cycle_id=one.id, rater_id=world.member.id, perspective="lived_experience",
               challenge=2, level=0, comment=""),
        ConsensusScore(cycle_id=one.id, challenge=1, level=1, rationale="Agreed after talking"),
        ConsensusScore(cycle_id=one.id, challenge=2, level=0, rationale="+ more to do"),
        ConsensusScore(cycle_id=two.id, challenge=1, level=1, to_reconfirm=True),
        FacilitatorRating(cycle_id=one.id, rater_id=world.facilitator.id, challenge=1, level=2,
                          comment="Seen on the ward"),
        Priority(cycle_id=one.id, challenge=2, rank=1, current_level=0, target_level=2,
                 reason="Lowest level"),
        Feedback(cycle_id=one.id, author_id=world.facilitator.id, body="A good start",
                 created_at=datetime(2024, 3, 6, 12, 0, 0, 123456, tzinfo=UTC)),
    ])
    session.commit()
    done = Action(cycle_id=one.id, challenge=2, title="Recruit peer trainers", owner="@Sam",
                  due_on=date(2024, 3, 1), status="done", outcome="adopt", notes="Two joined")
    going = Action(cycle_id=one.id, challenge=2, title="Start a recovery college",
                   status="in_progress", outcome="adapt")
    session.add_all([done, going])
    session.commit()
    carried = Action(cycle_id=two.id, challenge=2, title="Start a recovery college",
                     status="in_progress", carried_from_id=going.id)
    session.add(carried)
    session.commit()
    return {"one": one, "two": two}


def empty_database() -> None:
    """Every table emptied and the reference data loaded again: a fresh installation."""
    from imroc.db import write_session
    from imroc.seed.reference import load_reference
    from tests.conftest import _empty_all_tables

    _empty_all_tables()
    with write_session() as s:
        load_reference(s)


def row_counts(session: Session) -> dict[str, int]:
    return {t: session.connection().execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
            for t in LOOP}


def zip_names(data: bytes) -> list[str]:
    return sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
