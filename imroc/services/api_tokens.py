"""Personal API tokens: named, expiring and revocable, made by a person on their account
page (people who sign in by SSO have no password to exchange at /api/v1/auth/token)."""

from datetime import timedelta

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Invalid, NotFound
from imroc.models import AuthSession, User
from imroc.security import new_token, token_digest
from imroc.services import audit, auth

# The lives a person can choose, in days.
LIFETIMES = (7, 30, 90, 365)
MAX_LIVE = 20


def list_tokens(session: Session, *, user: User) -> list[AuthSession]:
    """The person's named tokens, newest first (revoked and expired ones too, for a while)."""
    since = utcnow() - timedelta(days=30)
    return list(session.exec(select(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.kind == auth.API,
        col(AuthSession.name).is_not(None), AuthSession.expires_at > since,
    ).order_by(col(AuthSession.created_at).desc())).all())


def is_live(row: AuthSession) -> bool:
    return row.revoked_at is None and row.expires_at > utcnow()


def create(session: Session, *, user: User, name: str, days: str) -> tuple[str, AuthSession]:
    """A new token; its secret is returned once and only its keyed hash is stored."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Enter a name for the token, such as what it is for"
    elif len(name) > 100:
        errors["name"] = "Name must be 100 characters or fewer"
    if days not in {str(d) for d in LIFETIMES}:
        errors["days"] = "Select how long the token lasts"
    live = [r for r in list_tokens(session, user=user) if is_live(r)]
    if not errors and len(live) >= MAX_LIVE:
        errors["name"] = f"You have {MAX_LIVE} tokens already: revoke one you no longer use"
    if not errors and any(r.name == name for r in live):
        errors["name"] = "You already have a token with this name"
    if errors:
        raise Invalid(errors)
    now = utcnow()
    secret = new_token()
    row = AuthSession(id=token_digest(secret), user_id=user.id, kind=auth.API,
                      csrf_token=new_token(), created_at=now, last_seen_at=now,
                      expires_at=now + timedelta(days=int(days)), name=name)
    session.add(row)
    audit.record(session, actor=user, action="create_token", entity="user", entity_id=user.id,
                 after={"name": name, "days": int(days)})
    session.commit()
    return secret, row


def revoke(session: Session, *, user: User, token_id: str) -> AuthSession:
    """End one of the person's own tokens (someone else's is not found)."""
    row = session.get(AuthSession, token_id) if len(token_id or "") <= 64 else None
    if row is None or row.user_id != user.id or row.kind != auth.API or row.name is None:
        raise NotFound("Token not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, actor=user, action="revoke_token", entity="user",
                     entity_id=user.id, before={"name": row.name})
        session.commit()
    return row
