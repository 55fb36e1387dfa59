"""Signing in and out: password checks, throttling, server-side sessions and API tokens."""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from imroc.config import get_settings
from imroc.errors import NotSignedIn, TooManyAttempts
from imroc.models import AuthSession, LoginThrottle, User
from imroc.models.base import utcnow
from imroc.security import new_token, token_digest, verify_password

BROWSER = "browser"
API = "api"
# Refreshing last_seen_at on every request would make every page a write.
TOUCH_INTERVAL = timedelta(minutes=1)
WRONG_DETAILS = "Enter a correct email address and password"


def _throttle_keys(email: str, client: str | None) -> list[str]:
    keys = [f"email:{email}"]
    if client:
        keys.append(f"client:{client}")
    return keys


def _limit_for(key: str) -> int:
    limit = get_settings().login_max_failures
    # One address may try several accounts (a shared ward computer), so allow it more.
    return limit * 4 if key.startswith("client:") else limit


def _check_throttle(session: Session, keys: list[str], now: datetime) -> None:
    rows = session.exec(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    waits = [int((r.locked_until - now).total_seconds()) + 1 for r in rows
             if r.locked_until and r.locked_until > now]
    if waits:
        wait = max(waits)
        minutes = (wait + 59) // 60
        raise TooManyAttempts(
            f"Too many failed attempts to sign in. Wait {minutes} minute"
            f"{'s' if minutes != 1 else ''} before trying again.",
            retry_after=wait,
        )


def _count_failure(session: Session, keys: list[str], now: datetime) -> None:
    window = timedelta(seconds=get_settings().login_lockout_seconds)
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_failed_at=now)
        if now - row.first_failed_at > window:
            row.failures, row.first_failed_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= _limit_for(key):
            row.locked_until = now + window
        session.add(row)


def authenticate(session: Session, *, email: str, password: str, client: str | None) -> User:
    """The user with these credentials; counts failures and refuses while locked (429)."""
    email = (email or "").strip().lower()
    now = utcnow()
    keys = _throttle_keys(email, client)
    _check_throttle(session, keys, now)
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        _count_failure(session, keys, now)
        session.commit()
        raise NotSignedIn(WRONG_DETAILS, field="email")
    for key in keys[:1]:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
    return user


def start_session(session: Session, *, user: User, kind: str = BROWSER) -> tuple[str, AuthSession]:
    """Create a new server-side session (or API token); returns the secret and the row."""
    settings = get_settings()
    now = utcnow()
    token = new_token()
    hours = settings.session_absolute_hours if kind == BROWSER else settings.api_token_hours
    row = AuthSession(
        id=token_digest(token), user_id=user.id, kind=kind, csrf_token=new_token(),
        created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    session.commit()
    return token, row


def sign_in(
    session: Session, *, email: str, password: str, client: str | None, kind: str = BROWSER
) -> tuple[str, AuthSession, User]:
    """Check the credentials and open a session: one transaction."""
    user = authenticate(session, email=email, password=password, client=client)
    token, row = start_session(session, user=user, kind=kind)
    return token, row, user


def resolve(session: Session, *, token: str | None, kind: str) -> tuple[User, AuthSession] | None:
    """The live session and its user for a presented token, or None."""
    if not token or len(token) > 200:
        return None
    row = session.get(AuthSession, token_digest(token))
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= row.expires_at or (kind == BROWSER and now - row.last_seen_at > idle):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


def needs_touch(row: AuthSession) -> bool:
    return utcnow() - row.last_seen_at > TOUCH_INTERVAL


def touch(session: Session, *, session_id: str) -> None:
    """Record activity on a session, keeping it alive while the person works."""
    row = session.get(AuthSession, session_id)
    if row is not None:
        row.last_seen_at = utcnow()
        session.add(row)
        session.commit()


def sign_out(session: Session, *, row: AuthSession) -> None:
    """Revoke a session so its cookie or token is useless from now on."""
    live = session.get(AuthSession, row.id)
    if live is not None and live.revoked_at is None:
        live.revoked_at = utcnow()
        session.add(live)
        session.commit()


def revoke_all(session: Session, *, user: User) -> None:
    """Revoke every session of a user (deactivation, password change); the caller commits."""
    now = utcnow()
    for row in session.exec(select(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )).all():
        row.revoked_at = now
        session.add(row)
