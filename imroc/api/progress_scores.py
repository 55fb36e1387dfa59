"""Progress scores of a cycle on the collaborative progress scale, over JSON."""


from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.models.progress_score import Giver, ProgressLevelOut, ProgressScoreIn, ProgressScoreOut
from imroc.services import progress_scores
from imroc.web.routing import Router

router = Router(tags=["progress scores"])


@router.get("/progress-scale", response_model=list[ProgressLevelOut])
def scale(principal: CurrentPrincipal) -> list[ProgressLevelOut]:
    """The steps of the progress scale (0.5 to 5.0), each with its name and words."""
    return progress_scores.levels()


@router.get("/cycles/{cycle_id}/progress-scores", response_model=list[ProgressScoreOut])
def list_scores(loaded: CycleDep, session: SessionDep) -> list[ProgressScoreOut]:
    """The site's and the facilitator's progress scores of the cycle (null when not given)."""
    cycle = loaded[0]
    rows = progress_scores.scores_of(session, cycle=cycle)
    return [progress_scores.public(cycle, g.value, rows.get(g.value)) for g in Giver]


def _put(giver: Giver, data: ProgressScoreIn, loaded, session, principal) -> ProgressScoreOut:
    cycle, site = loaded
    row = progress_scores.set_score(session, cycle=cycle, site=site, giver=giver.value,
                                    data=data, principal=principal)
    return progress_scores.public(cycle, giver.value, row)


@router.put("/cycles/{cycle_id}/progress-scores/site", response_model=ProgressScoreOut)
def put_site_score(data: ProgressScoreIn, loaded: CycleDep, session: SessionDep,
                   principal: CurrentPrincipal) -> ProgressScoreOut:
    """The site's score, given by its lead. Send the `version` you read once a score
    exists (stale: 409)."""
    return _put(Giver.site, data, loaded, session, principal)


@router.put("/cycles/{cycle_id}/progress-scores/facilitator", response_model=ProgressScoreOut)
def put_facilitator_score(data: ProgressScoreIn, loaded: CycleDep, session: SessionDep,
                          principal: CurrentPrincipal) -> ProgressScoreOut:
    """The facilitator's score, given by a facilitator of the learning set the cycle ran in.
    Send the `version` you read once a score exists (stale: 409)."""
    return _put(Giver.facilitator, data, loaded, session, principal)
