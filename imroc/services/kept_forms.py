"""Forms that arrive after a session has lapsed: kept for their sender, not thrown away.

A form is kept only when the browser still holds the lapsed session's cookie and the form
carries that session's CSRF token, so it is known to come from this service's own page,
typed by that person. Only the same person, signed in again, can see it or send it.
"""

import json
from datetime import timedelta

from sqlmodel import Session, col, delete

from imroc.clock import utcnow
from imroc.models import AuthSession, KeptForm
from imroc.security import new_token, token_digest, tokens_match

KEEP_FOR = timedelta(hours=1)
MAX_FIELDS = 500
MAX_CHARS = 400_000


def keep(session: Session, *, lapsed: AuthSession, sent_csrf: str | None, path: str,
         pairs: list[tuple[str, str]]) -> str | None:
    """Keep what was sent for the lapsed session's person; returns the browser's secret,
    or None when the form cannot be shown to be theirs or is too large to keep."""
    if not tokens_match(sent_csrf, lapsed.csrf_token):
        return None
    if len(pairs) > MAX_FIELDS or sum(len(k) + len(v) for k, v in pairs) > MAX_CHARS:
        return None
    now = utcnow()
    session.exec(delete(KeptForm).where(col(KeptForm.expires_at) < now))
    secret = new_token()
    session.add(KeptForm(id=token_digest(secret), user_id=lapsed.user_id, path=path,
                         fields=json.dumps(pairs), kept_at=now, expires_at=now + KEEP_FOR))
    session.commit()
    return secret


def take(session: Session, *, secret: str | None, user_id: int) -> KeptForm | None:
    """The kept form for this person, removed from the store as it is handed back (the page
    that shows it holds everything in it). Someone else's, or an expired one, is None."""
    if not secret or len(secret) > 200:
        return None
    row = session.get(KeptForm, token_digest(secret))
    if row is None:
        return None
    mine = row.user_id == user_id and row.expires_at > utcnow()
    session.delete(row)
    session.commit()
    return row if mine else None


def pairs_of(row: KeptForm) -> list[tuple[str, str]]:
    """The fields as they were sent, in order."""
    return [(str(k), str(v)) for k, v in json.loads(row.fields)]
