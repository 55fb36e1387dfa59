"""Ratings, consensus and the facilitator's view, over JSON."""

from pydantic import BaseModel

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep, PathId
from imroc.models.assessment import (
    ConsensusOut,
    RatingOut,
    RatingsIn,
    ReopenIn,
    ScoreOut,
    ScoresIn,
    UnheardOut,
)
from imroc.models.cycle import CyclePublic
from imroc.services import assessments, cycles, feedback, voices
from imroc.web.routing import Router

router = Router(tags=["assessments"])


class RatingsOut(BaseModel):
    cycle_id: int
    ratings: list[RatingOut]


def _ratings(cycle_id: int, rows) -> RatingsOut:
    return RatingsOut(cycle_id=cycle_id, ratings=[RatingOut(
        challenge=r.challenge, level=r.level, dont_know=getattr(r, "dont_know", False),
        comment=r.comment, rater_id=r.rater_id,
        perspective=getattr(r, "perspective", "facilitator"), updated_at=r.updated_at)
        for r in rows])


def _consensus(session: SessionDep, cycle) -> ConsensusOut:
    return ConsensusOut(cycle_id=cycle.id, signed_off=cycle.signed_off_at is not None, scores=[
        ScoreOut(challenge=s.challenge, level=s.level, rationale=s.rationale,
                 to_reconfirm=s.to_reconfirm)
        for s in assessments.list_consensus(session, cycle=cycle)],
        unheard=[UnheardOut(challenge=n, perspectives=missing) for n, missing in
                 voices.unheard(session, [cycle.id])[cycle.id].items()])


@router.get("/cycles/{cycle_id}/ratings", response_model=RatingsOut)
def list_ratings(loaded: CycleDep, session: SessionDep, principal: CurrentPrincipal) -> RatingsOut:
    """Everyone's ratings, with each rater's perspective. A steering group member sees only
    their own until they have rated all ten challenges or the lead opens the meeting."""
    cycle, site = loaded
    rows = assessments.list_ratings(session, cycle=cycle)
    if not assessments.sees_others(session, cycle=cycle, site=site, principal=principal):
        rows = [r for r in rows if r.rater_id == principal.user.id]
    return _ratings(cycle.id, rows)


@router.put("/cycles/{cycle_id}/ratings", response_model=RatingsOut)
def put_ratings(cycle_id: PathId, data: RatingsIn, session: SessionDep,
                principal: CurrentPrincipal) -> RatingsOut:
    """Set your own ratings (409 once the assessment is signed off)."""
    # The cycle is read here, not by CycleDep: on SQLite the save's first statement takes the
    # write lock, so reading and saving in one turn in the thread pool keeps it for less.
    cycle, site = cycles.get_cycle(session, cycle_id=cycle_id, principal=principal)
    rows = assessments.set_ratings(session, cycle=cycle, site=site, data=data, principal=principal)
    return _ratings(cycle.id, rows)


@router.get("/cycles/{cycle_id}/consensus", response_model=ConsensusOut)
def get_consensus(loaded: CycleDep, session: SessionDep) -> ConsensusOut:
    return _consensus(session, loaded[0])


@router.put("/cycles/{cycle_id}/consensus", response_model=ConsensusOut)
def put_consensus(data: ScoresIn, loaded: CycleDep, session: SessionDep,
                  principal: CurrentPrincipal) -> ConsensusOut:
    """The lead records the agreed level and rationale per challenge."""
    cycle, site = loaded
    assessments.set_consensus(session, cycle=cycle, site=site, data=data, principal=principal)
    return _consensus(session, cycle)


@router.post("/cycles/{cycle_id}/consensus/sign-off", response_model=CyclePublic)
def sign_off(loaded: CycleDep, session: SessionDep, principal: CurrentPrincipal) -> CyclePublic:
    cycle, site = loaded
    return cycles.public(assessments.sign_off(session, cycle=cycle, site=site, principal=principal))


@router.post("/cycles/{cycle_id}/consensus/reopen", response_model=CyclePublic)
def reopen(data: ReopenIn, loaded: CycleDep, session: SessionDep,
           principal: CurrentPrincipal) -> CyclePublic:
    cycle, site = loaded
    return cycles.public(assessments.reopen(session, cycle=cycle, site=site, data=data,
                                            principal=principal))


@router.get("/cycles/{cycle_id}/facilitator-ratings", response_model=RatingsOut)
def list_facilitator_ratings(loaded: CycleDep, session: SessionDep) -> RatingsOut:
    cycle = loaded[0]
    return _ratings(cycle.id, feedback.list_facilitator_ratings(session, cycle=cycle))


@router.put("/cycles/{cycle_id}/facilitator-ratings", response_model=RatingsOut)
def put_facilitator_ratings(data: RatingsIn, loaded: CycleDep, session: SessionDep,
                            principal: CurrentPrincipal) -> RatingsOut:
    """A facilitator of the site's learning set records their own view."""
    cycle, site = loaded
    rows = feedback.set_facilitator_ratings(session, cycle=cycle, site=site, data=data,
                                               principal=principal)
    return _ratings(cycle.id, rows)
