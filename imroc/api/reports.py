"""Reports over JSON."""

from fastapi import Query

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.services import objectives
from imroc.services.objectives import ObjectivesReport
from imroc.services.reports import progress as reports
from imroc.services.reports.progress import ProgressRow
from imroc.validation import MAX_INT
from imroc.web.routing import Router

router = Router(tags=["reports"])


@router.get("/reports/progress", response_model=list[ProgressRow])
def progress(session: SessionDep, principal: CurrentPrincipal,
             site_id: int | None = Query(default=None, ge=1, le=MAX_INT),
             learning_set_id: int | None = Query(default=None, ge=1, le=MAX_INT)) -> list[ProgressRow]:
    """Signed-off consensus levels per challenge per cycle, for the sites you may see."""
    return reports.progress(session, principal=principal, site_id=site_id,
                            learning_set_id=learning_set_id)


@router.get("/reports/objectives", response_model=ObjectivesReport)
def objectives_report(session: SessionDep, principal: CurrentPrincipal,
                      site_id: int | None = Query(default=None, ge=1, le=MAX_INT),
                      learning_set_id: int | None = Query(default=None, ge=1, le=MAX_INT)
                      ) -> ObjectivesReport:
    """How many priorities reached their target at the next signed-off assessment, per
    challenge and in total (`reached`, `partly`, `not_yet`, `no_rescore`), for the sites you
    may see; with a learning set, the cycles run in it."""
    return objectives.report(session, principal=principal, site_id=site_id,
                             learning_set_id=learning_set_id)
