"""Pages for getting data out (CSV, XLSX, the JSON exchange document) and in (uploads)."""

from typing import Literal

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep, require_import
from imroc.errors import Invalid
from imroc.services import access, learning_sets, sites
from imroc.services.data_io import export_files, exports
from imroc.services.data_io.exchange import export_site
from imroc.services.data_io.imports import run_import
from imroc.services.data_io.layout import TABLE_LABELS
from imroc.templating import render
from imroc.validation import MAX_INT
from imroc.web.downloads import Format, Table, download, export_download
from imroc.web.forms import error_list
from imroc.web.routing import Router

router = Router()


@router.get("/data")
def data_page(request: Request, session: SessionDep, principal: CurrentPrincipal):
    visible = sites.list_sites(session, principal=principal)
    return render(request, "data/index.html", {
        "sites": visible, "learning_sets": learning_sets.list_learning_sets(
            session, principal=principal) if principal.is_programme or principal.is_facilitator
        else [],
        "exchange_sites": [s for s in visible if access.can_identify_raters(principal, s)],
        "tables": TABLE_LABELS, "formats": export_files.FORMATS})


@router.get("/data/export")
def export_choice(principal: CurrentPrincipal, scope: Literal["site", "learning_set",
                                                              "programme", "exchange"] = "site",
                  site_id: int | None = Query(default=None, ge=1, le=MAX_INT),
                  learning_set_id: int | None = Query(default=None, ge=1, le=MAX_INT),
                  format: Format = "xlsx", table: Table | None = None,  # noqa: A002  (the query parameter is `format`)
                  anonymise: bool = False) -> RedirectResponse:
    """The export form's choices, sent on to the download's own address."""
    export_files.check_choice(format, table)
    query = f"?format={format}" + (f"&table={table}" if format == "csv" else "")
    if scope == "site" or scope == "exchange":
        if site_id is None:
            raise Invalid({"site_id": "Select a site"})
        path = f"/sites/{site_id}/exchange.json" if scope == "exchange" \
            else f"/sites/{site_id}/export{query}"
    elif scope == "learning_set":
        if learning_set_id is None:
            raise Invalid({"learning_set_id": "Select a learning set"})
        path = f"/learning-sets/{learning_set_id}/export{query}" + \
            ("&anonymise=true" if anonymise else "")
    else:
        path = f"/programme/export{query}"
    return RedirectResponse(path, status_code=303)


@router.get("/sites/{site_id}/export")
def site_export(session: SessionDep, principal: CurrentPrincipal, site: SiteDep,
                format: Format = "xlsx", table: Table | None = None):  # noqa: A002  (the query parameter is `format`)
    return export_download(exports.site_export(session, principal=principal, site=site), format, table)


@router.get("/sites/{site_id}/exchange.json")
def site_exchange(session: SessionDep, principal: CurrentPrincipal, site: SiteDep):
    doc = export_site(session, principal=principal, site=site)
    return download(doc.model_dump_json(indent=2).encode(), "imroc-exchange.json")


@router.get("/learning-sets/{learning_set_id}/export")
def set_export(session: SessionDep, principal: CurrentPrincipal, ls: LearningSetDep,
               format: Format = "xlsx", table: Table | None = None,  # noqa: A002  (the query parameter is `format`)
               anonymise: bool = False):
    return export_download(exports.learning_set_export(session, principal=principal, ls=ls,
                                            anonymise=anonymise), format, table)


@router.get("/programme/export")
def programme_export(session: SessionDep, principal: CurrentPrincipal,
                     format: Format = "xlsx", table: Table | None = None):  # noqa: A002  (the query parameter is `format`)
    return export_download(exports.programme_export(session, principal=principal), format, table)


@router.get("/data/import", dependencies=[Depends(require_import)])
def import_page(request: Request):
    return render(request, "data/import.html", {"values": {"check_only": True}})


@router.post("/data/import", dependencies=[Depends(require_import)])
def import_upload(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  file: UploadFile | None = File(default=None),
                  check_only: str | None = Form(default=None)):
    values = {"check_only": bool(check_only)}
    limit = get_settings().max_upload_bytes
    data = file.file.read(limit + 1) if file is not None else b""
    try:
        if file is None or not file.filename and not data:
            raise Invalid({"file": "Select a file to import"})
        report = run_import(session, data, principal=principal, dry_run=bool(check_only),
                            max_bytes=limit)
    except Invalid as exc:
        return render(request, "data/import.html", {
            "values": values, "errors": exc.errors,
            "error_list": error_list(exc.errors)}, status_code=422)
    status = 422 if report.problems else 200
    return render(request, "data/report.html", {
        "report": report, "values": values,
        "table_labels": {**TABLE_LABELS, "document": "Document", "file": "File"}},
        status_code=status)
