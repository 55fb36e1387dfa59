"""People: accounts and their memberships of site steering groups."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import LearningSet, Membership, Site, User
from imroc.models.site import LearningSetUpdate
from imroc.models.user import (
    GlobalRole,
    MembershipCreate,
    SiteRole,
    UserCreate,
    UserMembershipIn,
    UserPublic,
    UserUpdate,
)
from imroc.security import hash_password
from imroc.services import access, audit
from imroc.services.access import Principal
from imroc.services.auth import revoke_all
from imroc.services.versioned import save_if_unchanged
from imroc.validation import parse

USER_FIELDS = ("email", "name", "global_role", "is_active")
MEMBERSHIP_FIELDS = ("user_id", "site_id", "role", "perspective")


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Person not found")
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))).all())


def create_user(session: Session, *, data: UserCreate, actor: User | None,
                password_hash: str | None = None) -> User:
    """Create an account with an argon2id password hash.

    `password_hash` lets a seeder that gives many accounts one password hash it only once.
    """
    user = add_user(session, email=data.email, name=data.name,
                    password_hash=password_hash or hash_password(data.password),
                    global_role=data.global_role.value if data.global_role else None, actor=actor)
    session.commit()
    return user


def add_user(session: Session, *, email: str, name: str, password_hash: str,
             global_role: str | None = None, actor: User | None,
             action: str = "create") -> User:
    """The one way an account comes to be: a unique email and an audit row, in the caller's
    transaction (the caller commits)."""
    email = email.strip().lower()
    if find_by_email(session, email) is not None:
        raise Invalid({"email": "Someone already has an account with this email address"})
    user = User(email=email, name=name.strip(), password_hash=password_hash,
                global_role=global_role)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="user", entity_id=user.id,
                 after=audit.snapshot(user, USER_FIELDS))
    return user


def update_user(session: Session, *, user: User, data: UserUpdate, actor: User) -> User:
    """Change a person's name, global role or whether they can sign in. An edit made from an
    older version of the person is refused, so two administrators never overwrite each other."""
    if data.version is not None and data.version != user.version:
        raise Conflict(STALE_PERSON, current=_current(user))
    before = audit.snapshot(user, USER_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    values: dict = {}
    if changes.get("name") is not None:
        values["name"] = changes["name"].strip()
    if "global_role" in changes:
        values["global_role"] = changes["global_role"].value if changes["global_role"] else None
    if changes.get("is_active") is not None:
        if user.id == actor.id and not changes["is_active"]:
            raise Invalid({"is_active": "You cannot deactivate your own account"})
        values["is_active"] = changes["is_active"]
    values = {k: v for k, v in values.items() if getattr(user, k) != v}
    if not values:
        return user
    if not save_if_unchanged(session, User, user.id, user.version, values):
        session.rollback()
        session.refresh(user)
        raise Conflict(STALE_PERSON, current=_current(user))
    session.refresh(user)
    if values.get("is_active") is False:
        revoke_all(session, user=user)
    audit.record(session, actor=actor, action="update", entity="user", entity_id=user.id,
                 before=before, after=audit.snapshot(user, USER_FIELDS))
    session.commit()
    return user


STALE_PERSON = "Someone else changed this person while you were editing"


def _current(user: User) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, name=user.name,
                      global_role=user.global_role, is_active=user.is_active,
                      version=user.version)


def list_members(session: Session, *, site: Site) -> list[tuple[Membership, User]]:
    """The site's steering group, leads first."""
    rows = session.exec(
        select(Membership, User).join(User, col(User.id) == Membership.user_id)
        .where(Membership.site_id == site.id)
        .order_by(col(Membership.role).desc(), col(User.name))
    ).all()
    return [(m, u) for m, u in rows]


def add_membership(
    session: Session, *, site: Site, data: MembershipCreate, actor: User
) -> Membership:
    """Give an existing person a role and perspective at a site."""
    user = find_by_email(session, data.email)
    if user is None:
        raise Invalid({"email": "No one has an account with this email address yet. "
                                "Ask an administrator to create it first"})
    return _join(session, site=site, user=user, role=data.role.value,
                 perspective=data.perspective.value, actor=actor, field="email")


def join_site(session: Session, *, user: User, data: UserMembershipIn,
              principal: Principal) -> Membership:
    """Give a person a role and perspective at a site, from their own record (an
    administrator)."""
    access.ensure_admin(principal)
    site = session.get(Site, data.site_id)
    if site is None or site.archived_at is not None:
        raise Invalid({"site_id": "Select a site that is taking part (no open site has this id)"})
    return _join(session, site=site, user=user, role=data.role.value,
                 perspective=data.perspective.value, actor=principal.user, field="site_id")


def _join(session: Session, *, site: Site, user: User, role: str, perspective: str,
          actor: User, field: str) -> Membership:
    existing = session.exec(select(Membership).where(
        Membership.user_id == user.id, Membership.site_id == site.id)).first()
    if existing is not None:
        raise Invalid({field: f"{user.name} is already a member of {site.name}"})
    try:
        membership = add_member(session, site_id=site.id, user_id=user.id, role=role,
                                perspective=perspective, actor=actor)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("This person was added to the site at the same moment") from None
    return membership


def add_member(session: Session, *, site_id: int, user_id: int, role: str, perspective: str,
               actor: User | None, action: str = "add_member") -> Membership:
    """The one way a person joins a site's steering group: the row and its audit row, in the
    caller's transaction (the caller has checked who may, and commits)."""
    membership = Membership(user_id=user_id, site_id=site_id, role=role, perspective=perspective)
    session.add(membership)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="membership",
                 entity_id=membership.id, site_id=site_id,
                 after=audit.snapshot(membership, MEMBERSHIP_FIELDS))
    return membership


def get_membership(session: Session, *, site: Site, membership_id: int
                   ) -> tuple[Membership, User]:
    """One place on a site's steering group and its person; 404 when not of this site."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.site_id != site.id:
        raise NotFound("Member not found")
    return membership, session.get(User, membership.user_id)


def remove_membership(session: Session, *, site: Site, membership_id: int,
                      principal: Principal) -> None:
    """Take a person off a site's steering group (their past ratings stay in the history).

    A site is never left without a lead by its own lead: only the programme team or an
    administrator may take off the last one (and then give the site a new lead)."""
    membership, _person = get_membership(session, site=site, membership_id=membership_id)
    if membership.role == SiteRole.site_lead and not principal.is_programme:
        leads = session.exec(select(func.count()).select_from(Membership).where(
            Membership.site_id == site.id, Membership.role == SiteRole.site_lead)).one()
        if leads <= 1:
            raise Conflict("This is the site's only steering group lead. Add another lead "
                           "first, or ask the programme team to make the change")
    before = audit.snapshot(membership, MEMBERSHIP_FIELDS)
    session.delete(membership)
    audit.record(session, actor=principal.user, action="remove_member", entity="membership",
                 entity_id=membership_id, site_id=site.id, before=before)
    session.commit()


def remove_any_membership(session: Session, *, membership_id: int,
                          principal: Principal) -> None:
    """Take a person off any site's steering group, by the membership's id (an
    administrator)."""
    access.ensure_admin(principal)
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFound("Membership not found")
    remove_membership(session, site=session.get(Site, membership.site_id),
                      membership_id=membership_id, principal=principal)


def system_principal() -> Principal:
    """The command line acting as an administrator (audited with no person attached)."""
    return Principal(user=User(id=None, email="", name="Command line", password_hash="",
                               global_role=GlobalRole.admin.value))


def create_with_role(session: Session, *, email: str, name: str, role: str,
                     site_id: int | None, learning_set_id: int | None, perspective: str,
                     password: str) -> User:
    """Create a person with one role: global, at a site, or facilitating a learning set."""
    valid = {r.value for r in GlobalRole} | {r.value for r in SiteRole} | {"facilitator"}
    if role not in valid:
        raise Invalid({"role": f"Role must be one of {', '.join(sorted(valid))}"})
    if role in {r.value for r in SiteRole} and site_id is None:
        raise Invalid({"site": "A site role needs --site with the site's id"})
    if role == "facilitator" and learning_set_id is None:
        raise Invalid({"learning_set": "A facilitator needs --learning-set with the set's id"})
    system = system_principal()
    site = ls = None
    if site_id is not None:
        site = session.get(Site, site_id)
        if site is None:
            raise Invalid({"site": f"No site has the id {site_id}"})
    if learning_set_id is not None:
        ls = session.get(LearningSet, learning_set_id)
        if ls is None:
            raise Invalid({"learning_set": f"No learning set has the id {learning_set_id}"})
    membership = None
    if site is not None:
        membership = parse(MembershipCreate, {"email": email, "role": role,
                                              "perspective": perspective})
    data = parse(UserCreate, {"email": email, "name": name, "password": password,
                              "global_role": role if role in {r.value for r in GlobalRole} else None})
    user = create_user(session, data=data, actor=None)
    if site is not None and membership is not None:
        add_membership(session, site=site, data=membership, actor=system.user)
    if ls is not None:
        from imroc.services import learning_sets

        current = learning_sets.facilitator_ids(session, [ls.id])[ls.id]
        learning_sets.update_learning_set(session, ls=ls, principal=system, data=LearningSetUpdate(
            facilitator_ids=[*current, user.id]))
    return user
