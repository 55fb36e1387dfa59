"""Forgotten passwords: a single-use link by e-mail, and setting a new password with it.

Asking gives the same answer whether or not the address belongs to someone, and the message
is sent after the answer, so neither the words nor the time tell who has an account.
"""

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Invalid, TooManyAttempts
from imroc.models import LoginThrottle, PasswordReset, User
from imroc.models.user import NewPassword
from imroc.security import hash_password, new_token, token_digest
from imroc.services import audit, auth, mail

LINK_LASTS = timedelta(hours=1)
PER_PERSON = 3  # messages an hour to one address: enough for a lost one, not a flood
PER_CLIENT = 20  # requests from one address in the window below
CLIENT_WINDOW = timedelta(minutes=15)


def _count_request(session: Session, client: str | None) -> None:
    """Refuse (429) a client asking too often; otherwise count this request."""
    now = utcnow()
    key = f"reset:addr:{client or 'unknown'}"
    row = session.get(LoginThrottle, key)
    if row is None or row.first_failed_at < now - CLIENT_WINDOW:
        row = row or LoginThrottle(key=key)
        row.failures, row.first_failed_at = 0, now
    if row.failures >= PER_CLIENT:
        wait = int((row.first_failed_at + CLIENT_WINDOW - now).total_seconds()) + 1
        raise TooManyAttempts("Too many requests to reset a password from here. "
                              f"Wait {(wait + 59) // 60} minutes before trying again.",
                              retry_after=wait)
    row.failures += 1
    session.add(row)


def request_reset(session: Session, *, email: str, client: str | None) -> int | None:
    """Write a reset link for the person with this address, if there is one and they have
    not had too many this hour; returns the message to deliver after the answer."""
    _count_request(session, client)
    address = (email or "").strip().lower()[:254]
    user = session.exec(select(User).where(User.email == address)).first() if address else None
    if user is None or not user.is_active:
        session.commit()
        return None
    recent = session.exec(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user.id,
        col(PasswordReset.created_at) > utcnow() - timedelta(hours=1))).one()
    if recent >= PER_PERSON:
        session.commit()
        return None
    secret = new_token()
    session.add(PasswordReset(id=token_digest(secret), user_id=user.id,
                              expires_at=utcnow() + LINK_LASTS))
    message = mail.queue(session, kind="password_reset", template="password_reset",
                         subject="Reset your ImROC self-audit password", to_email=user.email,
                         to_name=user.name, user_id=user.id,
                         context={"reset_url": mail.link(f"/reset-password/{secret}")})
    audit.record(session, actor=user, action="password_reset_requested", entity="user",
                 entity_id=user.id)
    session.commit()
    return message.id


def find_reset(session: Session, *, secret: str) -> PasswordReset | None:
    """The reset a link names, while it can still be used."""
    if not secret or len(secret) > 200:
        return None
    row = session.get(PasswordReset, token_digest(secret))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def check_new_password(data: NewPassword) -> None:
    """The same password typed twice."""
    if data.password != data.confirm:
        raise Invalid({"confirm": "The passwords do not match: type the same password twice"})


def reset_password(session: Session, *, secret: str, data: NewPassword) -> User | None:
    """Set the new password, use up the link and end every session and token of the person;
    None when the link is unknown, used or expired."""
    check_new_password(data)
    row = find_reset(session, secret=secret)
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.is_active:
        return None
    row.used_at = utcnow()
    user.password_hash = hash_password(data.password)
    session.add_all([row, user])
    auth.revoke_all(session, user=user)
    audit.record(session, actor=user, action="password_reset", entity="user", entity_id=user.id)
    session.commit()
    return user
