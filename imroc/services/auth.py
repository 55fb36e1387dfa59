"""Signing in and out: password checks, throttling, server-side sessions and API tokens."""

import hashlib
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import String, bindparam, case, cast, func, literal, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.db import read_session
from imroc.errors import Invalid, NotSignedIn, TooManyAttempts
from imroc.models import (
    AuthSession,
    LearningSetFacilitator,
    LoginThrottle,
    Membership,
    Notification,
    User,
)
from imroc.models.base import UTCDateTime
from imroc.security import new_token, token_digest, verify_password
from imroc.services.access import Principal
from imroc.validation import UNTYPABLE, untypable

BROWSER = "browser"
API = "api"
# Refreshing last_seen_at on every request would make every page a write.
TOUCH_INTERVAL = timedelta(minutes=1)
WRONG_DETAILS = "Enter a correct email address and password"
USE_SSO = ("Sign in with your organisation's account instead: passwords are not used for "
           "your account")


def _throttle_keys(email: str, client: str | None) -> list[str]:
    """What failures are counted against: the account, the account from this address, and
    the address (so that guessing across many accounts from one address is slowed too)."""
    address = client or "unknown"
    return [f"email:{email}", f"email:{email}|addr:{address}", f"addr:{address}"]


def _limit_for(key: str) -> int:
    settings = get_settings()
    if key.startswith("addr:"):
        return settings.login_address_max_failures
    return settings.login_max_failures


def _window_for(key: str) -> timedelta:
    settings = get_settings()
    seconds = settings.login_address_window_seconds if key.startswith("addr:") \
        else settings.login_lockout_seconds
    return timedelta(seconds=seconds)


def _check_throttle(session: Session, keys: list[str], now: datetime) -> None:
    """Refuse (429) while the address is locked, or while the account is locked and this
    address is one it was failing from. A locked account still lets in its owner from an
    address that has not been failing, so nobody can lock a colleague out cheaply."""
    account, from_here, address = keys
    rows = {r.key: r for r in session.exec(select(LoginThrottle).where(
        LoginThrottle.key.in_(keys))).all()}

    def locked(key: str) -> int | None:
        row = rows.get(key)
        if row is None or not row.locked_until or row.locked_until <= now:
            return None
        return int((row.locked_until - now).total_seconds()) + 1

    failing_here = from_here in rows and \
        rows[from_here].first_failed_at >= now - _window_for(from_here)
    waits = [w for w in (locked(address), locked(account) if failing_here else None) if w]
    if waits:
        wait = max(waits)
        minutes = (wait + 59) // 60
        raise TooManyAttempts(
            f"Too many failed attempts to sign in. Wait {minutes} minute"
            f"{'s' if minutes != 1 else ''} before trying again.",
            retry_after=wait,
        )


def _lock_attempts(session: Session, key: str) -> None:
    """Take turns on one email across workers, so parallel guesses cannot pass the limit.

    SQLite's writers already take turns (BEGIN IMMEDIATE); PostgreSQL needs a lock that
    lasts until this transaction ends, and the row may not exist yet.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.exec(text("SELECT pg_advisory_xact_lock(:id)"), params={"id": lock_id})


def _count_failure(session: Session, keys: list[str], now: datetime) -> None:
    # One atomic upsert per key: two workers failing at once neither collide on the new
    # row (IntegrityError) nor lose a count.
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
    table = LoginThrottle.__table__
    for key in keys:
        limit, window = _limit_for(key), _window_for(key)
        at, until = literal(now, UTCDateTime()), literal(now + window, UTCDateTime())
        stale = table.c.first_failed_at < literal(now - window, UTCDateTime())
        failures = case((stale, 1), else_=table.c.failures + 1)
        statement = insert(table).values(
            key=key, failures=1, first_failed_at=now,
            locked_until=now + window if limit <= 1 else None,
        ).on_conflict_do_update(index_elements=[table.c.key], set_={
            "failures": failures,
            "first_failed_at": case((stale, at), else_=table.c.first_failed_at),
            "locked_until": case((failures >= limit, until), (stale, None),
                                 else_=table.c.locked_until),
        })
        session.exec(statement)


def authenticate(session: Session, *, email: str, password: str, client: str | None) -> User:
    """The user with these credentials; counts failures and refuses while locked (429)."""
    email = (email or "").strip().lower()
    if untypable(email):
        # No address holds one, and PostgreSQL cannot even compare text with a NUL in it.
        raise Invalid({"email": f"Email address {UNTYPABLE}"})
    if password_refused(email, None):
        raise NotSignedIn(USE_SSO, field="email")
    now = utcnow()
    keys = _throttle_keys(email, client)
    # The slow part, the password hash, runs before this request takes the write lock, so
    # people signing in at once do not queue behind each other's hashing. A locked account is
    # refused here without hashing at all.
    with read_session() as reader:
        _check_throttle(reader, keys, now)
        found = reader.exec(select(User).where(User.email == email)).first() if email else None
        ok = verify_password(found.password_hash if found else None, password or "")
        user_id = found.id if found else None
    # Then, one at a time per account: check again (a lock may have come into force while
    # the hash ran), count a failure or clear the count. Parallel guesses cannot pass the limit.
    _lock_attempts(session, keys[0])
    _check_throttle(session, keys, now)
    user = session.get(User, user_id) if user_id is not None else None
    if not ok or user is None or not user.is_active:
        _count_failure(session, keys, now)
        session.commit()
        raise NotSignedIn(WRONG_DETAILS, field="email")
    for key in keys[:2]:  # the account's count; the address keeps its count of failures
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
    if password_refused(email, user):
        session.commit()
        raise NotSignedIn(USE_SSO, field="email")
    return user


def password_refused(email: str, user: User | None) -> bool:
    """With password sign-in turned off: whether this person must sign in by SSO instead
    (their address is of an allowed domain, or they have signed in by SSO before)."""
    settings = get_settings()
    if settings.password_sign_in or not settings.oidc_enabled:
        return False
    return email.rpartition("@")[2] in settings.allowed_domains or \
        (user is not None and user.oidc_subject is not None)


def start_session(session: Session, *, user: User, kind: str = BROWSER,
                  via_sso: bool = False) -> tuple[str, AuthSession]:
    """Create a new server-side session (or API token); returns the secret and the row."""
    settings = get_settings()
    now = utcnow()
    token = new_token()
    hours = settings.session_absolute_hours if kind == BROWSER else settings.api_token_hours
    row = AuthSession(
        id=token_digest(token), user_id=user.id, kind=kind, csrf_token=new_token(),
        created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours),
        via_sso=via_sso,
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


@lru_cache(maxsize=1)
def _principal_statement():
    """The one statement that reads a session and its person (built once: building it cost
    more than running it). The session's id is bound as `digest`."""
    facilitated = (select(func.aggregate_strings(cast(LearningSetFacilitator.learning_set_id,
                                                      String), ","))
                   .where(LearningSetFacilitator.user_id == User.id)
                   .correlate(User).scalar_subquery())
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == User.id, col(Notification.read_at).is_(None))
              .correlate(User).scalar_subquery())
    return (select(AuthSession, User, Membership, facilitated, unread)
            .join(User, col(User.id) == AuthSession.user_id)
            .outerjoin(Membership, col(Membership.user_id) == User.id)
            .where(AuthSession.id == bindparam("digest")))


def resolve_principal(session: Session, *, token: str | None,
                      kind: str) -> tuple[Principal, AuthSession, int] | None:
    """The live session and everything access decisions need about its person, read in one
    statement on every request (the session, the person, their memberships and the learning
    sets they facilitate), so a changed role or a deactivation counts from the next request.
    The third value is the person's count of unread notifications, for the page header."""
    if not token or len(token) > 200:
        return None
    rows = session.exec(_principal_statement(), params={"digest": token_digest(token)}).all()
    if not rows:
        return None
    row, user, _, sets, unread_count = rows[0]
    if row.kind != kind or row.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= row.expires_at or (kind == BROWSER and now - row.last_seen_at > idle):
        return None
    principal = Principal(
        user=user, memberships={r[2].site_id: r[2] for r in rows if r[2] is not None},
        facilitated_set_ids=frozenset(int(i) for i in (sets or "").split(",") if i))
    return principal, row, unread_count


def stored_session(session: Session, *, token: str | None, kind: str) -> AuthSession | None:
    """The stored session a cookie names, live or lapsed, unless it was ended on purpose
    (signed out, or its person's access taken away)."""
    if not token or len(token) > 200:
        return None
    row = session.get(AuthSession, token_digest(token))
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return row if user is not None and user.is_active else None


def ended_by_time(session: Session, *, token: str | None) -> bool:
    """Whether a browser's cookie names a session that ended only because time ran out
    (idle or absolute limit), not by signing out or by deactivation."""
    return stored_session(session, token=token, kind=BROWSER) is not None


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
