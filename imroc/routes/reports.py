"""Printable reports, as a page (print CSS) and as a PDF of the same content: a site's, and a
learning set's (anonymised as its dashboard is, on request)."""

import re
from datetime import date

from fastapi import Request
from fastapi.responses import Response

from imroc import pdf
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep
from imroc.models.action import OUTCOME_LABELS, STATUS_LABELS
from imroc.models.cycle import STAGE_LABELS
from imroc.services.reports import learning_set as set_report
from imroc.services.reports import site as site_report
from imroc.templating import env, render
from imroc.web.downloads import download
from imroc.web.routing import Router

router = Router()


def _site_context(session, principal, site) -> dict:
    report = site_report.site_report(session, site=site, principal=principal)
    return {"r": report, "site": site, "svg": site_report.charts(report),
            "stage_names": {k.value: v for k, v in STAGE_LABELS.items()},
            "status_names": STATUS_LABELS, "outcome_names": OUTCOME_LABELS,
            "title": f"ImROC progress report – {site.name}",
            "partial": "reports/_site_report.html"}


def _set_context(session, principal, ls, anonymise: bool) -> dict:
    report = set_report.set_report(session, ls=ls, principal=principal, anonymise=anonymise)
    return {"r": report, "ls": ls, "svg": set_report.charts(report),
            "status_names": STATUS_LABELS, "anonymise": anonymise,
            "title": f"ImROC learning-set report – {ls.name}",
            "partial": "reports/_set_report.html"}


def pdf_filename(name: str, fallback: str, on: date) -> str:
    """A plain ASCII file name: imroc-report-riverside-recovery-service-2026-11-26.pdf."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return f"imroc-report-{slug or fallback}-{on.isoformat()}.pdf"


def _pdf(context: dict, filename: str) -> Response:
    html = env.get_template("reports/pdf.html").render(context)
    return download(pdf.html_to_pdf(html), filename)


@router.get("/sites/{site_id}/report")
def site_report_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     site: SiteDep) -> Response:
    """The site's report for a board or a learning set, laid out to print."""
    return render(request, "reports/site.html", _site_context(session, principal, site))


@router.get("/sites/{site_id}/report.pdf")
def site_report_pdf(session: SessionDep, principal: CurrentPrincipal, site: SiteDep) -> Response:
    """The same report as a PDF download."""
    context = _site_context(session, principal, site)
    return _pdf(context, pdf_filename(site.name, f"site-{site.id}", context["r"].today))


@router.get("/learning-sets/{learning_set_id}/report")
def set_report_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    ls: LearningSetDep, anonymise: bool = False) -> Response:
    """The learning set's report, laid out to print."""
    return render(request, "reports/learning_set.html",
                  _set_context(session, principal, ls, anonymise))


@router.get("/learning-sets/{learning_set_id}/report.pdf")
def set_report_pdf(session: SessionDep, principal: CurrentPrincipal, ls: LearningSetDep,
                   anonymise: bool = False) -> Response:
    """The learning set's report as a PDF download."""
    context = _set_context(session, principal, ls, anonymise)
    return _pdf(context, pdf_filename(ls.name, f"learning-set-{ls.id}", context["r"].today))
