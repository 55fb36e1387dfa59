"""People and their memberships over JSON: administrators change them, the programme team
may look them up."""

from typing import Annotated

from fastapi import Query, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.models.user import (
    MembershipPublic,
    PeopleFilter,
    PeoplePage,
    PersonPublic,
    UserCreate,
    UserMembershipIn,
    UserUpdate,
)
from imroc.services import access, people, users
from imroc.web.routing import Router

router = Router(tags=["people"])


@router.get("/users", response_model=PeoplePage)
def list_users(session: SessionDep, principal: CurrentPrincipal,
               f: Annotated[PeopleFilter, Query()]) -> PeoplePage:
    """People by name, `q` matching part of a name or e-mail address; paged by `limit`
    (at most 100) and `offset`."""
    access.ensure_read_people(principal)
    rows, total = people.search(session, f)
    return PeoplePage(total=total, limit=f.limit, offset=f.offset,
                      items=[people.public(p) for p in rows])


@router.post("/users", response_model=PersonPublic, status_code=201)
def create_user(data: UserCreate, session: SessionDep,
                principal: CurrentPrincipal) -> PersonPublic:
    """Add a person with a first password (an administrator)."""
    access.ensure_admin(principal)
    user = users.create_user(session, data=data, actor=principal.user)
    return people.public(people.get_person(session, user))


@router.get("/users/{user_id}", response_model=PersonPublic)
def get_user(user_id: PathId, session: SessionDep, principal: CurrentPrincipal) -> PersonPublic:
    access.ensure_read_people(principal)
    return people.public(people.get_person(session, users.get_user(session, user_id)))


@router.patch("/users/{user_id}", response_model=PersonPublic)
def update_user(user_id: PathId, data: UserUpdate, session: SessionDep,
                principal: CurrentPrincipal) -> PersonPublic:
    """Change a person's name, programme role, or whether they can sign in (an
    administrator). Deactivating ends their sessions and tokens."""
    access.ensure_admin(principal)
    user = users.update_user(session, user=users.get_user(session, user_id), data=data,
                             actor=principal.user)
    return people.public(people.get_person(session, user))


@router.get("/users/{user_id}/memberships", response_model=list[MembershipPublic])
def list_memberships(user_id: PathId, session: SessionDep,
                     principal: CurrentPrincipal) -> list[MembershipPublic]:
    access.ensure_read_people(principal)
    return people.public(people.get_person(session, users.get_user(session, user_id))).memberships


@router.post("/users/{user_id}/memberships", response_model=MembershipPublic, status_code=201)
def add_membership(user_id: PathId, data: UserMembershipIn, session: SessionDep,
                   principal: CurrentPrincipal) -> MembershipPublic:
    """Put the person on a site's steering group (an administrator)."""
    access.ensure_admin(principal)
    user = users.get_user(session, user_id)
    m = users.join_site(session, user=user, data=data, principal=principal)
    return next(p for p in people.public(people.get_person(session, user)).memberships
                if p.id == m.id)


@router.delete("/memberships/{membership_id}", status_code=204)
def remove_membership(membership_id: PathId, session: SessionDep,
                      principal: CurrentPrincipal) -> Response:
    """Take the person off that site's steering group (an administrator); their past
    ratings stay in the history."""
    users.remove_any_membership(session, membership_id=membership_id, principal=principal)
    return Response(status_code=204)
