"""The consultancy page of a site: its dated entries with their total, and adding one."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId, SiteDep
from imroc.errors import Conflict, Invalid
from imroc.models.consultancy import ConsultancyEntryIn
from imroc.services import access, consultancy
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()
INPUTS = ("delivered_on", "days", "purpose", "delivered_by_id", "delivered_by_name")


def _page(request, session, principal, site, *, values=None, errors=None,
          status=200) -> Response:
    errors = errors or {}
    can_record = access.can_record_consultancy(principal)
    return render(request, "consultancy/index.html", {
        "site": site, "summary": consultancy.summary(session, site=site),
        "can_record": can_record,
        "team": consultancy.project_team(session) if can_record else [],
        "values": values or {}, "errors": errors, "error_list": error_list(errors),
    }, status_code=status)


@router.get("/sites/{site_id}/consultancy")
def consultancy_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     site: SiteDep) -> Response:
    return _page(request, session, principal, site)


@router.post("/sites/{site_id}/consultancy")
def consultancy_add(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    site: SiteDep, form: Form) -> Response:
    access.ensure_record_consultancy(principal)
    values = fields(form, *INPUTS)
    try:
        given = {k: v for k, v in values.items() if v is not None}
        consultancy.create_entry(session, site=site, principal=principal,
                                 data=parse(ConsultancyEntryIn, given))
    except Invalid as exc:
        return _page(request, session, principal, site, values=values, errors=exc.errors,
                     status=422)
    return RedirectResponse(f"/sites/{site.id}/consultancy#entries", status_code=303)


@router.post("/sites/{site_id}/consultancy/{entry_id}/delete")
def consultancy_delete(request: Request, session: SessionDep, principal: CurrentPrincipal,
                       site: SiteDep, entry_id: PathId, form: Form) -> Response:
    access.ensure_record_consultancy(principal)
    try:
        version = int(form.get("version") or 0)
        consultancy.delete_entry(session, site=site, entry_id=entry_id, version=version,
                                 principal=principal)
    except (Conflict, ValueError):
        return _page(request, session, principal, site, status=409, errors={
            "entries": "This entry was changed or removed while you were looking: "
                       "check the list and try again"})
    return RedirectResponse(f"/sites/{site.id}/consultancy#entries", status_code=303)
