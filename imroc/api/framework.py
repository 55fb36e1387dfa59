"""The framework in force: the ten challenges, their descriptors and the scale."""

from pydantic import BaseModel

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.services import frameworks
from imroc.web.routing import Router

router = Router(tags=["framework"])


class ScaleOut(BaseModel):
    level: int
    name: str
    description: str


class ChallengeOut(BaseModel):
    number: int
    title: str
    short_title: str
    description: str
    level_descriptors: list[str]


class FrameworkOut(BaseModel):
    id: int
    key: str
    version: str
    title: str
    description: str
    scale: list[ScaleOut]
    challenges: list[ChallengeOut]


@router.get("/framework", response_model=FrameworkOut)
def get_framework(session: SessionDep, principal: CurrentPrincipal) -> dict:
    """The current framework version."""
    return frameworks.document(session, frameworks.current(session))
