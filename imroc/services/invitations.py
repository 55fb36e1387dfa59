"""Invitations: a lead asks people to join their steering group, the programme team asks
facilitators, an administrator anyone; the invitee follows a single-use link, chooses their
own password (or accepts while signed in), and the role is theirs."""

from datetime import timedelta

from sqlmodel import Session, col, select

from imroc.clock import uk_date_of, utcnow
from imroc.errors import Conflict, Forbidden, Invalid, NotFound
from imroc.models import Invitation, LearningSet, LearningSetFacilitator, Membership, Site, User
from imroc.models.invitation import InvitationIn, InvitationPublic, SiteInvitationIn
from imroc.models.user import ROLE_LABELS, GlobalRole, NewPassword
from imroc.security import hash_password, new_token, token_digest
from imroc.services import access, audit, mail, passwords, users
from imroc.services.access import Principal

LASTS = timedelta(days=7)
FIELDS = ["email", "name", "role", "perspective", "site_id", "learning_set_id"]


def _uk(day) -> str:
    return f"{day.day} {day:%B %Y}"


def status(inv: Invitation) -> str:
    """pending, accepted, withdrawn or expired."""
    if inv.accepted_at is not None:
        return "accepted"
    if inv.withdrawn_at is not None:
        return "withdrawn"
    return "expired" if inv.expires_at <= utcnow() else "pending"


def public(inv: Invitation) -> InvitationPublic:
    return InvitationPublic(**inv.model_dump(exclude={"secret_hash", "invited_by_id",
                                                      "accepted_at", "accepted_by_id",
                                                      "withdrawn_at"}), status=status(inv))


def _pending(session: Session, *, email: str, site_id: int | None, role: str,
             learning_set_id: int | None) -> Invitation | None:
    rows = session.exec(select(Invitation).where(
        Invitation.email == email, Invitation.site_id == site_id,
        col(Invitation.accepted_at).is_(None), col(Invitation.withdrawn_at).is_(None))).all()
    return next((r for r in rows if status(r) == "pending" and (site_id is not None or (
        r.role == role and r.learning_set_id == learning_set_id))), None)


def _send(session: Session, inv: Invitation, *, inviter: User, where: str) -> int:
    """A new secret and seven more days, and the message that carries the link."""
    secret = new_token()
    now = utcnow()
    inv.secret_hash, inv.sent_at, inv.expires_at = token_digest(secret), now, now + LASTS
    session.add(inv)
    role = ROLE_LABELS.get(inv.role, inv.role).lower()
    message = mail.queue(
        session, kind="invitation", template="invitation", to_email=inv.email,
        to_name=inv.name, subject=f"You are invited to join {where} on ImROC self-audit",
        context={"inviter": inviter.name, "where": where, "role": role,
                 "accept_url": mail.link(f"/invitations/accept/{secret}"),
                 "expires_on": _uk(uk_date_of(inv.expires_at))})
    session.flush()
    return message.id


def invite_to_site(session: Session, *, site: Site, principal: Principal,
                   data: SiteInvitationIn) -> tuple[Invitation, int]:
    """Invite someone to the site's steering group; returns the invitation and its message."""
    access.ensure_manage_members(principal, site)
    email = data.email.lower()
    existing = users.find_by_email(session, email)
    if existing is not None and session.exec(select(Membership).where(
            Membership.user_id == existing.id, Membership.site_id == site.id)).first():
        raise Invalid({"email": f"{existing.name} is already a member of this site"})
    if _pending(session, email=email, site_id=site.id, role=data.role.value,
                learning_set_id=None):
        raise Invalid({"email": "This person has already been invited: send the invitation "
                                "again from the list of invitations instead"})
    inv, mail_id = add_invitation(session, email=email, name=data.name, role=data.role.value,
                                  perspective=data.perspective.value, site=site,
                                  learning_set=None, inviter=principal.user)
    session.commit()
    return inv, mail_id


def invite(session: Session, *, principal: Principal, data: InvitationIn) -> tuple[Invitation, int]:
    """Invite a facilitator (the programme team or an administrator), or someone to the
    programme team or the administrators (an administrator only)."""
    if data.role.value == "facilitator":
        if not principal.is_programme:
            raise Forbidden("Only the programme team can invite facilitators")
    elif not principal.is_admin:
        raise Forbidden("Only an administrator can invite people to this role")
    ls = None
    if data.learning_set_id is not None:
        ls = session.get(LearningSet, data.learning_set_id)
        if ls is None or data.role.value != "facilitator":
            raise Invalid({"learning_set_id": "Select one of the learning sets, for a "
                                              "facilitator only"})
    email = data.email.lower()
    if _pending(session, email=email, site_id=None, role=data.role.value,
                learning_set_id=data.learning_set_id):
        raise Invalid({"email": "This person has already been invited: send the invitation "
                                "again from the list of invitations instead"})
    inv, mail_id = add_invitation(session, email=email, name=data.name, role=data.role.value,
                                  perspective=None, site=None, learning_set=ls,
                                  inviter=principal.user)
    session.commit()
    return inv, mail_id


def add_invitation(session: Session, *, email: str, name: str, role: str,
                   perspective: str | None, site: Site | None, learning_set: LearningSet | None,
                   inviter: User) -> tuple[Invitation, int]:
    """The one way an invitation comes to be: the row, its message and its audit row, in
    the caller's transaction (the caller has checked who may, and commits)."""
    inv = Invitation(email=email, name=name, role=role, perspective=perspective,
                     site_id=site.id if site else None,
                     learning_set_id=learning_set.id if learning_set else None,
                     invited_by_id=inviter.id, secret_hash="", expires_at=utcnow())
    where_to = site.name if site else learning_set.name if learning_set \
        else "the ImROC programme"
    mail_id = _send(session, inv, inviter=inviter, where=where_to)
    audit.record(session, actor=inviter, action="invite", entity="invitation",
                 entity_id=inv.id, site_id=inv.site_id, after=audit.snapshot(inv, FIELDS))
    return inv, mail_id


def pending_emails(session: Session, emails: list[str]) -> set[str]:
    """Which of these addresses have an invitation waiting to be accepted."""
    rows = session.exec(select(Invitation).where(
        col(Invitation.email).in_(emails or [""]), col(Invitation.accepted_at).is_(None),
        col(Invitation.withdrawn_at).is_(None))).all()
    return {r.email for r in rows if status(r) == "pending"}


def get_invitation(session: Session, *, invitation_id: int, principal: Principal) -> Invitation:
    """An invitation its viewer may manage; 404 for anyone else."""
    inv = session.get(Invitation, invitation_id)
    site = session.get(Site, inv.site_id) if inv and inv.site_id else None
    if site is not None:
        allowed = access.can_manage_members(principal, site)
    else:
        allowed = inv is not None and principal.is_programme
    if not allowed:
        raise NotFound("Invitation not found")
    return inv


def list_for_site(session: Session, *, site: Site) -> list[Invitation]:
    """The site's invitations not yet accepted, newest first."""
    return list(session.exec(select(Invitation).where(
        Invitation.site_id == site.id, col(Invitation.accepted_at).is_(None),
        col(Invitation.withdrawn_at).is_(None)).order_by(col(Invitation.id).desc())).all())


def list_other(session: Session) -> list[Invitation]:
    """Invitations without a site not yet accepted, newest first."""
    return list(session.exec(select(Invitation).where(
        col(Invitation.site_id).is_(None), col(Invitation.accepted_at).is_(None),
        col(Invitation.withdrawn_at).is_(None)).order_by(col(Invitation.id).desc())).all())


def has_account(session: Session, inv: Invitation) -> bool:
    return users.find_by_email(session, inv.email) is not None


def where(session: Session, inv: Invitation) -> str:
    """What the invitation is to join, in words."""
    if inv.site_id:
        return session.get(Site, inv.site_id).name
    ls = session.get(LearningSet, inv.learning_set_id) if inv.learning_set_id else None
    return ls.name if ls else "the ImROC programme"


def resend(session: Session, *, inv: Invitation, principal: Principal) -> int:
    """A new link (the old one stops working) and seven more days."""
    if status(inv) not in ("pending", "expired"):
        raise Conflict("This invitation has been accepted or withdrawn")
    mail_id = _send(session, inv, inviter=principal.user, where=where(session, inv))
    audit.record(session, actor=principal.user, action="resend", entity="invitation",
                 entity_id=inv.id, site_id=inv.site_id)
    session.commit()
    return mail_id


def withdraw(session: Session, *, inv: Invitation, principal: Principal) -> None:
    """The link stops working."""
    if status(inv) == "accepted":
        raise Conflict("This invitation has already been accepted")
    inv.withdrawn_at = utcnow()
    session.add(inv)
    audit.record(session, actor=principal.user, action="withdraw", entity="invitation",
                 entity_id=inv.id, site_id=inv.site_id)
    session.commit()


def by_link(session: Session, *, secret: str) -> tuple[Invitation | None, str]:
    """The invitation a link names, and what stops it being accepted ("" when nothing)."""
    inv = session.exec(select(Invitation).where(
        Invitation.secret_hash == token_digest(secret))).first() \
        if secret and len(secret) <= 200 else None
    if inv is None:
        return None, ("This invitation link is not right. It may have been copied "
                      "incompletely, or a newer invitation has replaced it.")
    words = {"accepted": "This invitation has already been accepted. Sign in to carry on.",
             "withdrawn": "This invitation was withdrawn. Ask the person who invited you.",
             "expired": "This invitation has expired: invitations last 7 days. Ask the person "
                        "who invited you to send it again."}
    return inv, words.get(status(inv), "")


def _grant(session: Session, inv: Invitation, user: User) -> None:
    if inv.site_id is not None:
        if not session.exec(select(Membership).where(Membership.user_id == user.id,
                                                     Membership.site_id == inv.site_id)).first():
            users.add_member(session, site_id=inv.site_id, user_id=user.id, role=inv.role,
                             perspective=inv.perspective or "staff", actor=user,
                             action="accept_invitation")
    elif inv.role == "facilitator":
        if inv.learning_set_id and session.get(LearningSetFacilitator,
                                               (inv.learning_set_id, user.id)) is None:
            session.add(LearningSetFacilitator(learning_set_id=inv.learning_set_id,
                                               user_id=user.id))
    elif user.global_role != GlobalRole.admin.value:
        user.global_role = inv.role
        session.add(user)
    inv.accepted_at, inv.accepted_by_id = utcnow(), user.id
    session.add(inv)
    audit.record(session, actor=user, action="accept", entity="invitation", entity_id=inv.id,
                 site_id=inv.site_id)


def grant(session: Session, inv: Invitation, user: User) -> None:
    """Accept an invitation for this person (signing in by SSO with its verified address):
    the role and the audit row, in the caller's transaction."""
    _grant(session, inv, user)


def accept_signed_in(session: Session, *, inv: Invitation, principal: Principal) -> None:
    """The invitee, signed in to their own account, takes the role: no new password."""
    if principal.user.email != inv.email:
        raise Forbidden(f"This invitation is for {inv.email}. Sign out, then open the link "
                        "again to accept it.")
    _grant(session, inv, principal.user)
    session.commit()


def accept_new(session: Session, *, inv: Invitation, data: NewPassword) -> User:
    """A new account with the password the invitee chose, and the role."""
    passwords.check_new_password(data)
    if users.find_by_email(session, inv.email) is not None:
        raise Conflict("You already have an account: sign in, then open the link again")
    user = users.add_user(session, email=inv.email, name=inv.name,
                          password_hash=hash_password(data.password), actor=None,
                          action="create_by_invitation")
    _grant(session, inv, user)
    session.commit()
    return user
