"""API sign-in: a bearer token for a registered person."""

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import BackgroundTasks, Form, Request
from pydantic import BaseModel, Field

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.errors import Invalid
from imroc.models.user import UserPublic
from imroc.services import auth, mail, oversight, passwords
from imroc.validation import InputModel
from imroc.web.routing import Router

router = Router(tags=["auth"])


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


class ResetRequest(InputModel):
    email: str = Field(min_length=1, max_length=254)


class Accepted(BaseModel):
    detail: str


RESET_ANSWER = ("If this is the address of an account, a link to choose a new password has "
                "been sent to it. The link works once, for 1 hour.")


@router.post("/auth/password-reset", status_code=202, response_model=Accepted)
def password_reset(request: Request, session: SessionDep, body: ResetRequest,
                   background: BackgroundTasks) -> Accepted:
    """Send a password reset link: the same answer (202) whether or not the address has an
    account, and the message goes after the answer."""
    mail_id = passwords.request_reset(session, email=body.email,
                                      client=request.client.host if request.client else None)
    if mail_id is not None:
        background.add_task(mail.deliver, ids=[mail_id])
    return Accepted(detail=RESET_ANSWER)


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    """The signed-in person and their roles."""
    u = principal.user
    return Me(id=u.id, email=u.email, name=u.name, global_role=u.global_role,
              is_active=u.is_active, version=u.version, roles=principal.roles,
              site_ids=sorted(principal.memberships),
              learning_set_ids=sorted(principal.facilitated_set_ids))


class TaskOut(BaseModel):
    kind: str = Field(description="rate, not_rated_yet, agree_consensus, stage_step, review_due, "
                                  "action_due, action_overdue, values_due, stalled_cycle, "
                                  "missing_voice, feedback_due, meeting, consultancy_over")
    title: str
    url: str
    due_on: date | None
    site_id: int | None


@router.get("/me/tasks", response_model=list[TaskOut])
def my_tasks(session: SessionDep, principal: CurrentPrincipal) -> list[TaskOut]:
    """What needs you now: the same list as your home page, each with the page to act on."""
    return [TaskOut(**asdict(t)) for t in oversight.all_tasks(session, principal)]
