"""API sign-in: a bearer token for a registered person."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.errors import Invalid
from imroc.models.user import UserPublic
from imroc.services import auth

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(UserPublic):
    roles: list[str]
    site_ids: list[int]
    learning_set_ids: list[int]


@router.post("/auth/token", response_model=Token)
def token(request: Request, session: SessionDep,
          username: Annotated[str, Form(min_length=1, max_length=254)],
          password: Annotated[str, Form(min_length=1, max_length=200)]) -> Token:
    """Exchange an email address and password for a bearer token."""
    try:
        secret, _row, _user = auth.sign_in(session, email=username, password=password,
                                           client=request.client.host if request.client else None,
                                           kind=auth.API)
    except Invalid as exc:
        raise Invalid({"username": exc.message}) from None  # the address is sent as username
    return Token(access_token=secret)


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    """The signed-in person and their roles."""
    u = principal.user
    return Me(id=u.id, email=u.email, name=u.name, global_role=u.global_role,
              is_active=u.is_active, roles=principal.roles,
              site_ids=sorted(principal.memberships),
              learning_set_ids=sorted(principal.facilitated_set_ids))
