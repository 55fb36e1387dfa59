"""Learning sets and their meetings over JSON."""


from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep
from imroc.models.site import (
    LearningSetCreate,
    LearningSetPublic,
    LearningSetUpdate,
    MeetingCreate,
    MeetingPublic,
)
from imroc.services import learning_sets
from imroc.web.routing import Router

router = Router(tags=["learning sets"])


@router.get("/learning-sets", response_model=list[LearningSetPublic])
def list_sets(session: SessionDep, principal: CurrentPrincipal,
              include_archived: bool = False) -> list[LearningSetPublic]:
    rows = learning_sets.list_learning_sets(session, principal=principal,
                                            include_archived=include_archived)
    facilitators = learning_sets.facilitator_ids(session, [ls.id for ls in rows])
    return [LearningSetPublic(id=ls.id, name=ls.name, region=ls.region, version=ls.version,
                              archived=ls.archived_at is not None,
                              facilitator_ids=facilitators[ls.id]) for ls in rows]


@router.post("/learning-sets", response_model=LearningSetPublic, status_code=201)
def create_set(data: LearningSetCreate, session: SessionDep,
               principal: CurrentPrincipal) -> LearningSetPublic:
    ls = learning_sets.create_learning_set(session, data=data, principal=principal)
    return learning_sets.public(session, ls)


@router.get("/learning-sets/{learning_set_id}", response_model=LearningSetPublic)
def get_set(ls: LearningSetDep, session: SessionDep) -> LearningSetPublic:
    return learning_sets.public(session, ls, meetings=True)


@router.patch("/learning-sets/{learning_set_id}", response_model=LearningSetPublic)
def update_set(data: LearningSetUpdate, ls: LearningSetDep, session: SessionDep,
               principal: CurrentPrincipal) -> LearningSetPublic:
    ls = learning_sets.update_learning_set(session, ls=ls, data=data, principal=principal)
    return learning_sets.public(session, ls, meetings=True)


@router.post("/learning-sets/{learning_set_id}/meetings", response_model=MeetingPublic,
             status_code=201)
def add_meeting(data: MeetingCreate, ls: LearningSetDep, session: SessionDep,
                principal: CurrentPrincipal) -> MeetingPublic:
    meeting = learning_sets.create_meeting(session, ls=ls, data=data, principal=principal)
    return MeetingPublic.model_validate(meeting, from_attributes=True)
