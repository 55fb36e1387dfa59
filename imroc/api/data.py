"""Exports, the exchange document and imports over the API (the same services as /data)."""

from typing import Literal

from fastapi import Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep, require_import
from imroc.services.data_io import exports
from imroc.services.data_io.exchange import export_site
from imroc.services.data_io.exchange_doc import ExchangeDoc
from imroc.services.data_io.export_files import MEDIA
from imroc.services.data_io.imports import Report, run_import
from imroc.web.downloads import Format, Table, export_download
from imroc.web.routing import Router

router = Router(tags=["data"])
FILES = {200: {"description": "The file: XLSX, a zip of CSVs, or one CSV table",
               "content": {m: {"schema": {"type": "string", "format": "binary"}}
                           for m in MEDIA.values()}}}


class ProblemOut(BaseModel):
    table: str
    row: int | None
    column: str
    value: str
    message: str


class SiteLineOut(BaseModel):
    name: str = Field(description="The site as the file names it")
    new: bool
    existing_id: int | None = Field(description="The recorded site it adds to")
    existing_name: str | None
    matched_by: Literal["uid", "name"] | None = Field(
        description="How the recorded site was found: by its identifier, or by its name "
        "when the file gives none")
    message: str
    notes: list[str] = Field(description="What the import will record that the file leaves "
                             "blank, cycle by cycle")


class ImportReport(BaseModel):
    kind: str
    dry_run: bool
    imported: bool
    counts: dict[str, int]
    sites: list[SiteLineOut]
    problems: list[ProblemOut]


def _report(report: Report) -> ImportReport:
    return ImportReport(kind=report.kind, dry_run=report.dry_run, imported=report.imported,
                        counts=report.counts,
                        sites=[SiteLineOut(**vars(s)) for s in report.sites],
                        problems=[ProblemOut(**vars(p)) for p in report.problems])


@router.get("/sites/{site_id}/export", response_class=Response, responses=FILES)
def site_export(session: SessionDep, principal: CurrentPrincipal, site: SiteDep,
                format: Format = "xlsx", table: Table | None = None) -> Response:  # noqa: A002  (the query parameter is `format`)
    """A site's history as XLSX, a zip of CSVs, or one table as CSV (`format=csv&table=`)."""
    return export_download(exports.site_export(session, principal=principal, site=site), format, table)


@router.get("/learning-sets/{learning_set_id}/export", response_class=Response,
            responses=FILES)
def set_export(session: SessionDep, principal: CurrentPrincipal, ls: LearningSetDep,
               format: Format = "xlsx", table: Table | None = None,  # noqa: A002  (the query parameter is `format`)
               anonymise: bool = False) -> Response:
    """A learning set's sites; `anonymise=true` names them Site A, B... as its dashboard can."""
    return export_download(exports.learning_set_export(session, principal=principal, ls=ls,
                                            anonymise=anonymise), format, table)


@router.get("/programme/export", response_class=Response, responses=FILES)
def programme_export(session: SessionDep, principal: CurrentPrincipal,
                     format: Format = "xlsx", table: Table | None = None) -> Response:  # noqa: A002  (the query parameter is `format`)
    """Every site of the programme (programme team)."""
    return export_download(exports.programme_export(session, principal=principal), format, table)


@router.get("/sites/{site_id}/exchange", response_model=ExchangeDoc)
def site_exchange(session: SessionDep, principal: CurrentPrincipal,
                  site: SiteDep) -> ExchangeDoc:
    """The site's open JSON exchange document (its lead and the programme team)."""
    return export_site(session, principal=principal, site=site)


@router.post("/imports", response_model=ImportReport, dependencies=[Depends(require_import)],
             responses={422: {"description": "The file cannot be read, or has problems "
                              "(listed in `problems`); nothing was imported"}})
def import_file(session: SessionDep, principal: CurrentPrincipal,
                file: UploadFile = File(description="XLSX, CSV, zip of CSVs or JSON"),
                dry_run: bool = Query(default=False, description="Check only")):
    """Import earlier assessments or an exchange document: all or nothing."""
    limit = get_settings().max_upload_bytes
    report = run_import(session, file.file.read(limit + 1), principal=principal,
                        dry_run=dry_run, max_bytes=limit)
    if report.problems:
        body = _report(report).model_dump()
        count = len(report.problems)
        return JSONResponse({"detail": f"The file has {count} problem{'s' if count != 1 else ''}"
                             "; nothing was imported", **body}, status_code=422)
    return _report(report)
