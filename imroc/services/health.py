"""Whether the service can do its work: the database answers, takes writes and is migrated."""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from imroc.clock import utcnow
from imroc.models import Heartbeat


def beat(session: Session) -> None:
    """Write the heartbeat row and commit it: a write that was rolled back never reaches the
    disk, so only a commit proves the database can be written (read-only file, full disk)."""
    now = utcnow()
    if session.execute(update(Heartbeat).where(Heartbeat.id == 1)
                       .values(beat_at=now)).rowcount == 0:
        session.add(Heartbeat(id=1, beat_at=now))
    try:
        session.commit()
    except IntegrityError:  # another check wrote the first beat at the same moment
        session.rollback()
