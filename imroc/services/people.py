"""Finding people across the programme: search, filters and pages, counted in SQL.

A page of people costs four queries whatever the size of the programme: the count, the
page itself, the memberships of the people on it, and the learning sets they facilitate.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from imroc.models import LearningSet, LearningSetFacilitator, Membership, Site, User
from imroc.models.user import MembershipPublic, PeopleFilter, PersonPublic, SiteRole
from imroc.services.data_io.import_plan import NO_PASSWORD

# How a person signs in, in words for the pages; the API sends the key.
SIGN_IN_LABELS = {"password": "Password", "no_password": "No password set yet",
                  "single_sign_on": "Single sign-on", "both": "Single sign-on and password"}


def sign_in_method(user: User) -> str:
    """How this person signs in: a password, single sign-on (an account linked to the
    identity provider at its first sign-in), both, or nothing yet."""
    has_password = bool(user.password_hash) and user.password_hash != NO_PASSWORD
    if user.oidc_subject:
        return "both" if has_password else "single_sign_on"
    return "password" if has_password else "no_password"


@dataclass
class Person:
    """A person with their places: (membership id, site id, site name, role, perspective)
    and the learning sets they facilitate (id, name)."""

    user: User
    memberships: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    facilitates: list[tuple[int, str]] = field(default_factory=list)

    @property
    def sign_in(self) -> str:
        return sign_in_method(self.user)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(f: PeopleFilter) -> list:
    member = select(Membership.id).where(Membership.user_id == User.id)
    facilitates = select(LearningSetFacilitator.user_id).where(
        LearningSetFacilitator.user_id == User.id)
    where = []
    if f.q:
        pattern = _like(f.q)
        where.append(or_(func.lower(col(User.name)).like(pattern, escape="\\"),
                         col(User.email).like(pattern, escape="\\")))
    if f.role in (SiteRole.site_member, SiteRole.site_lead):
        clause = member.where(Membership.role == f.role)
        if f.site_id is not None:  # the role held at that very site
            clause = clause.where(Membership.site_id == f.site_id)
        where.append(exists(clause))
    elif f.role == "facilitator":
        clause = facilitates
        if f.learning_set_id is not None:
            clause = clause.where(LearningSetFacilitator.learning_set_id == f.learning_set_id)
        where.append(exists(clause))
    elif f.role in ("programme_team", "admin"):
        where.append(User.global_role == f.role)
    elif f.role == "none":
        where += [col(User.global_role).is_(None), ~exists(member), ~exists(facilitates)]
    if f.site_id is not None:
        where.append(exists(member.where(Membership.site_id == f.site_id)))
    if f.learning_set_id is not None:
        in_set = member.join(Site, col(Site.id) == Membership.site_id).where(
            Site.learning_set_id == f.learning_set_id)
        where.append(or_(exists(in_set), exists(facilitates.where(
            LearningSetFacilitator.learning_set_id == f.learning_set_id))))
    if f.active is not None:
        where.append(User.is_active == f.active)
    return where


def search(session: Session, f: PeopleFilter) -> tuple[list[Person], int]:
    """One page of the people matching the filter, by name, and how many match in all."""
    where = _conditions(f)
    total = session.exec(select(func.count()).select_from(User).where(*where)).one()
    users = session.exec(select(User).where(*where).order_by(
        func.lower(col(User.name)), col(User.id)).limit(f.limit).offset(f.offset)).all()
    return _with_places(session, list(users)), total


def get_person(session: Session, user: User) -> Person:
    """One person with all their places."""
    return _with_places(session, [user])[0]


def _with_places(session: Session, users: list[User]) -> list[Person]:
    ids = [u.id for u in users] or [-1]
    places: dict[int, list] = defaultdict(list)
    for m_id, user_id, site_id, site_name, role, perspective in session.exec(
            select(Membership.id, Membership.user_id, Site.id, Site.name, Membership.role,
                   Membership.perspective)
            .join(Site, col(Site.id) == Membership.site_id)
            .where(col(Membership.user_id).in_(ids)).order_by(func.lower(col(Site.name)))):
        places[user_id].append((m_id, site_id, site_name, role, perspective))
    sets: dict[int, list] = defaultdict(list)
    for user_id, ls_id, ls_name in session.exec(
            select(LearningSetFacilitator.user_id, LearningSet.id, LearningSet.name)
            .join(LearningSet, col(LearningSet.id) == LearningSetFacilitator.learning_set_id)
            .where(col(LearningSetFacilitator.user_id).in_(ids))
            .order_by(func.lower(col(LearningSet.name)))):
        sets[user_id].append((ls_id, ls_name))
    return [Person(user=u, memberships=places[u.id], facilitates=sets[u.id]) for u in users]


def public(person: Person) -> PersonPublic:
    u = person.user
    return PersonPublic(
        id=u.id, email=u.email, name=u.name, global_role=u.global_role, is_active=u.is_active,
        version=u.version,
        sign_in_method=person.sign_in,
        memberships=[MembershipPublic(id=m, site_id=s, site_name=n, role=r, perspective=p)
                     for m, s, n, r, p in person.memberships],
        facilitated_learning_set_ids=[ls_id for ls_id, _ in person.facilitates])
