"""The printable site report, as a page (print CSS) and as a PDF of the same content."""

import re
from datetime import date

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRouter

from imroc import pdf
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, SiteDep
from imroc.models.action import OUTCOME_LABELS, STATUS_LABELS
from imroc.models.cycle import STAGE_LABELS
from imroc.services import site_report
from imroc.templating import env, render

router = APIRouter()


def _context(session, principal, site) -> dict:  # noqa: ANN001
    report = site_report.site_report(session, site=site, principal=principal)
    return {"r": report, "site": site, "svg": site_report.charts(report),
            "stage_names": {k.value: v for k, v in STAGE_LABELS.items()},
            "status_names": STATUS_LABELS, "outcome_names": OUTCOME_LABELS}


def pdf_filename(site_name: str, site_id: int, on: date) -> str:
    """A plain ASCII file name: imroc-report-riverside-recovery-service-2026-11-26.pdf."""
    slug = re.sub(r"[^a-z0-9]+", "-", site_name.lower()).strip("-")[:60].strip("-")
    return f"imroc-report-{slug or f'site-{site_id}'}-{on.isoformat()}.pdf"


@router.get("/sites/{site_id}/report")
def site_report_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     site: SiteDep) -> Response:
    """The site's report for a board or a learning set, laid out to print."""
    return render(request, "reports/site.html", _context(session, principal, site))


@router.get("/sites/{site_id}/report.pdf")
def site_report_pdf(session: SessionDep, principal: CurrentPrincipal, site: SiteDep) -> Response:
    """The same report as a PDF download."""
    context = _context(session, principal, site)
    html = env.get_template("reports/site_pdf.html").render(context)
    body = pdf.html_to_pdf(html)
    name = pdf_filename(site.name, site.id, context["r"].today)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
