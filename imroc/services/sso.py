"""Who gets in by single sign-on, once the provider's ID token has been checked
(services/oidc.py): matching by the provider's subject, linking at first sign-in, accepting
pending invitations, and people of an allowed e-mail domain arriving with no roles."""

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.errors import SignInRefused
from imroc.models import AuthSession, Invitation, User
from imroc.services import audit, auth, invitations, users

CLOSED = ("Your account here has been closed, so you cannot sign in. If you need access "
          "again, ask your steering group lead or the programme team.")
WRONG_TENANT = ("Your organisation is not one of those that can sign in to this service. "
                "Ask the programme team if you think it should be.")
NO_EMAIL = ("Your organisation's sign-in did not send an email address, so we cannot tell "
            "who you are here. Ask your IT department, or sign in with your password.")
TAKEN = ("The account for {email} is already linked to a different sign-in. Ask the "
         "programme team to check your account.")


def unverified(email: str) -> str:
    return (f"Your organisation has not confirmed that {email} is your email address, so it "
            "cannot be matched to an account here. Ask your IT department, or sign in with "
            "your password.")


def unknown(email: str) -> str:
    return (f"There is no account here for {email}. Ask your steering group lead to invite "
            "you: the invitation comes by email.")


def email_verified(claims: dict) -> bool:
    """Whether the provider vouches for the e-mail address. Entra ID sends no
    `email_verified` for work accounts: an allowed tenant, or Entra's own claim that the
    address's domain is verified in the tenant (`xms_edov`), counts instead."""
    if claims.get("email_verified") is True:
        return True
    tenant = str(claims.get("tid") or "").lower()
    if tenant and tenant in get_settings().allowed_tenants:
        return True
    return claims.get("xms_edov") in (True, "true", "1", 1)


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def admit(session: Session, *, claims: dict) -> User:
    """The person these checked claims sign in as; SignInRefused when they may not get in.
    Links the account to the provider's subject at first sign-in, and accepts the person's
    pending invitations (their verified address stands for opening the link). The caller
    commits."""
    settings = get_settings()
    tenants = settings.allowed_tenants
    if tenants and str(claims.get("tid") or "").lower() not in tenants:
        raise SignInRefused(WRONG_TENANT)
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    verified = bool(email) and "@" in email and email_verified(claims)
    user = session.exec(select(User).where(User.oidc_issuer == issuer,
                                           User.oidc_subject == subject)).first()
    if user is None:
        if not email:
            raise SignInRefused(NO_EMAIL)
        if not verified:
            raise SignInRefused(unverified(email))
        user = users.find_by_email(session, email)
        if user is not None:
            if user.oidc_subject is not None:
                raise SignInRefused(TAKEN.format(email=email))
            if not user.is_active:
                raise SignInRefused(CLOSED)
            _link(session, user, issuer, subject)
        elif _pending(session, email) or domain_of(email) in settings.allowed_domains:
            user = users.add_user(session, email=email, name=_name(claims, email),
                                  password_hash="", actor=None, action="create_by_sso")
            _link(session, user, issuer, subject)
        else:
            raise SignInRefused(unknown(email))
    if not user.is_active:
        raise SignInRefused(CLOSED)
    if verified and email == user.email:
        for inv in _pending(session, email):
            invitations.grant(session, inv, user)
    return user


def sign_in(session: Session, *, claims: dict) -> tuple[str, AuthSession, User]:
    """Admit the person and open their browser session: one transaction."""
    user = admit(session, claims=claims)
    token, row = auth.start_session(session, user=user, via_sso=True)
    return token, row, user


def _link(session: Session, user: User, issuer: str, subject: str) -> None:
    user.oidc_issuer, user.oidc_subject = issuer, subject
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(session, actor=user, action="link_sso", entity="user", entity_id=user.id,
                 after={"oidc_issuer": issuer})


def _pending(session: Session, email: str) -> list[Invitation]:
    return [inv for inv in session.exec(select(Invitation).where(
        Invitation.email == email, col(Invitation.accepted_at).is_(None),
        col(Invitation.withdrawn_at).is_(None)).order_by(col(Invitation.id))).all()
        if invitations.status(inv) == "pending"]


def _name(claims: dict, email: str) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(str(claims.get(k) or "").strip()
                        for k in ("given_name", "family_name")).strip()
    return (name or email.partition("@")[0])[:200]

