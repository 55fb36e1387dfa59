"""Progress scores of a cycle on the collaborative progress scale, over JSON."""

from fastapi import APIRouter

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.models.progress_score import Giver, ProgressLevelOut, ProgressScoreIn, ProgressScoreOut
from imroc.services import progress_scores

router = APIRouter(tags=["progress scores"])


@router.get("/progress-scale", response_model=list[ProgressLevelOut])
def scale() -> list[ProgressLevelOut]:
    """The steps of the progress scale (0.5 to 5.0), each with its name and words."""
    return progress_scores.levels()


@router.get("/cycles/{cycle_id}/progress-scores", response_model=list[ProgressScoreOut])
def list_scores(loaded: CycleDep, session: SessionDep) -> list[ProgressScoreOut]:
    """The site's and the facilitator's progress scores of the cycle (null when not given)."""
    cycle = loaded[0]
    rows = progress_scores.scores_of(session, cycle=cycle)
    return [progress_scores.public(cycle, g.value, rows.get(g.value)) for g in Giver]


@router.get("/cycles/{cycle_id}/progress-scores/{giver}", response_model=ProgressScoreOut)
def get_score(giver: Giver, loaded: CycleDep, session: SessionDep) -> ProgressScoreOut:
    cycle = loaded[0]
    return progress_scores.public(cycle, giver.value,
                                  progress_scores.scores_of(session, cycle=cycle).get(giver.value))


@router.put("/cycles/{cycle_id}/progress-scores/{giver}", response_model=ProgressScoreOut)
def put_score(giver: Giver, data: ProgressScoreIn, loaded: CycleDep, session: SessionDep,
              principal: CurrentPrincipal) -> ProgressScoreOut:
    """The lead gives the site's score; a facilitator of the set the cycle ran in gives the
    facilitator's. Send the `version` you read once a score exists (stale: 409)."""
    cycle, site = loaded
    row = progress_scores.set_score(session, cycle=cycle, site=site, giver=giver.value,
                                    data=data, principal=principal)
    return progress_scores.public(cycle, giver.value, row)
