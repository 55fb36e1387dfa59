"""Consultancy days over JSON: a site's dated entries and its totals."""

from typing import Annotated

from fastapi import Query, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId, SiteDep
from imroc.models.consultancy import ConsultancyEntryIn, ConsultancyEntryPublic, ConsultancyPublic
from imroc.services import consultancy
from imroc.validation import Version
from imroc.web.routing import Router

router = Router(tags=["consultancy"])


@router.get("/sites/{site_id}/consultancy", response_model=ConsultancyPublic)
def get_consultancy(site: SiteDep, session: SessionDep) -> ConsultancyPublic:
    """The site's consultancy days: allocated, used (the sum of the entries), left, and
    every dated entry."""
    return consultancy.summary(session, site=site)


@router.post("/sites/{site_id}/consultancy", response_model=ConsultancyEntryPublic,
             status_code=201)
def add_consultancy(data: ConsultancyEntryIn, site: SiteDep, session: SessionDep,
                    principal: CurrentPrincipal) -> ConsultancyEntryPublic:
    """Record days of consultancy (programme team): `delivered_on`, `days` in whole or half
    days, `purpose`, and who delivered it: `delivered_by_id` (a person of the project team)
    or `delivered_by_name` (a peer trainer)."""
    return consultancy.public_of(
        session, consultancy.create_entry(session, site=site, data=data, principal=principal))


@router.delete("/sites/{site_id}/consultancy/{entry_id}", status_code=204,
               responses={409: {"description": "Changed since that version"}})
def delete_consultancy(site: SiteDep, entry_id: PathId, session: SessionDep,
                       principal: CurrentPrincipal,
                       version: Annotated[Version, Query()]) -> Response:
    """Take away an entry recorded in error (programme team)."""
    consultancy.delete_entry(session, site=site, entry_id=entry_id, version=version,
                             principal=principal)
    return Response(status_code=204)
