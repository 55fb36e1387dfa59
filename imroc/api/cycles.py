"""Cycles, their PDSA record and stages, over JSON."""


from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep, SiteDep
from imroc.models.cycle import CycleCreate, CyclePublic, CycleUpdate, FeedbackCreate, FeedbackPublic
from imroc.services import cycles, feedback
from imroc.web.routing import Router

router = Router(tags=["cycles"])


@router.get("/sites/{site_id}/cycles", response_model=list[CyclePublic])
def list_cycles(site: SiteDep, session: SessionDep) -> list[CyclePublic]:
    """Every cycle of the site, oldest first."""
    return [cycles.public(c) for c in cycles.list_cycles(session, site=site)]


@router.post("/sites/{site_id}/cycles", response_model=CyclePublic, status_code=201)
def open_cycle(data: CycleCreate, site: SiteDep, session: SessionDep,
               principal: CurrentPrincipal) -> CyclePublic:
    """The lead opens the next cycle (409 while another is open)."""
    return cycles.public(cycles.open_cycle(session, site=site, data=data, principal=principal))


@router.get("/cycles/{cycle_id}", response_model=CyclePublic)
def get_cycle(loaded: CycleDep) -> CyclePublic:
    return cycles.public(loaded[0])


@router.patch("/cycles/{cycle_id}", response_model=CyclePublic)
def update_cycle(data: CycleUpdate, loaded: CycleDep, session: SessionDep,
                 principal: CurrentPrincipal) -> CyclePublic:
    """Write the PDSA record; send `version` to be told of concurrent changes (409)."""
    cycle, site = loaded
    return cycles.public(cycles.update_record(session, cycle=cycle, site=site, data=data,
                                              principal=principal))


@router.post("/cycles/{cycle_id}/advance", response_model=CyclePublic)
def advance(loaded: CycleDep, session: SessionDep, principal: CurrentPrincipal) -> CyclePublic:
    """Move to the next stage; 409 with the reason when this stage is not complete."""
    cycle, site = loaded
    return cycles.public(cycles.advance(session, cycle=cycle, site=site, principal=principal))


@router.get("/cycles/{cycle_id}/feedback", response_model=list[FeedbackPublic])
def list_feedback(loaded: CycleDep, session: SessionDep) -> list[FeedbackPublic]:
    return [FeedbackPublic.model_validate(f, from_attributes=True)
            for f in feedback.list_feedback(session, cycle=loaded[0])]


@router.post("/cycles/{cycle_id}/feedback", response_model=FeedbackPublic, status_code=201)
def add_feedback(data: FeedbackCreate, loaded: CycleDep, session: SessionDep,
                 principal: CurrentPrincipal) -> FeedbackPublic:
    """Facilitators and the programme team comment on a cycle."""
    cycle, site = loaded
    row = feedback.give_feedback(session, cycle=cycle, site=site, data=data, principal=principal)
    return FeedbackPublic.model_validate(row, from_attributes=True)
