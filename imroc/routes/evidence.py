"""The evidence page of a cycle: what backs its ratings, agreed levels, actions and PDSA
record, the form to add a file or a link, downloads and removal."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep, EvidenceDep
from imroc.errors import Conflict, Invalid
from imroc.models import Cycle, Site
from imroc.models.evidence import OF_ASSESSMENT, AttachedTo, EvidenceIn
from imroc.services import evidence
from imroc.services.access import Principal
from imroc.services.access_evidence import ensure_add_evidence
from imroc.templating import render
from imroc.validation import parse
from imroc.web.downloads import evidence_download
from imroc.web.evidence_view import page_context
from imroc.web.forms import Form, fields
from imroc.web.routing import Router

router = Router()
INPUTS = ("attached_to", "challenge", "action_id", "url", "title")


def _page(request: Request, session: SessionDep, principal: Principal, cycle: Cycle,
          site: Site, *, values: dict | None = None, errors: dict | None = None,
          status: int = 200, added: bool = False, removed: bool = False) -> Response:
    ctx = page_context(session, principal, cycle, site, values=values, errors=errors)
    ctx.update({"added": added, "removed": removed})
    return render(request, "evidence/index.html", ctx, status_code=status)


@router.get("/cycles/{cycle_id}/evidence")
def evidence_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: CycleDep, attached_to: str | None = None, challenge: str | None = None,
                  action_id: str | None = None, added: bool = False,
                  removed: bool = False) -> Response:
    """Everything attached in the cycle, each file with its SHA-256; the form to add more
    (`attached_to`, `challenge` and `action_id` choose what it is for)."""
    cycle, site = loaded
    chosen = {"attached_to": attached_to, "challenge": challenge, "action_id": action_id}
    return _page(request, session, principal, cycle, site, added=added, removed=removed,
                 values={k: v for k, v in chosen.items() if v})


def _for_the_choice(values: dict) -> dict:
    """The form shows every field at once: keep those that belong to what was chosen."""
    kept = dict(values)
    if kept.get("attached_to") not in {k.value for k in OF_ASSESSMENT}:
        kept.pop("challenge", None)
    if kept.get("attached_to") != AttachedTo.action:
        kept.pop("action_id", None)
    return kept


@router.post("/cycles/{cycle_id}/evidence")
def evidence_add(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 loaded: CycleDep, form: Form) -> Response:
    """Attach a file or a link; the form comes back with the reason when it is refused."""
    cycle, site = loaded
    ensure_add_evidence(principal, site)
    values = fields(form, *INPUTS)
    sent = form.get("file")
    upload = evidence.Upload(name=sent.filename or "", stream=sent.file) \
        if isinstance(sent, UploadFile) and (sent.filename or sent.size) else None
    args = (request, session, principal, cycle, site)
    try:
        data = parse(EvidenceIn, _for_the_choice(values))
        row = evidence.add_evidence(session, cycle=cycle, site=site, data=data, upload=upload,
                                    principal=principal)
    except Invalid as exc:  # TooLarge too, with its own status
        return _page(*args, values=values, errors=exc.errors, status=exc.status_code)
    except Conflict as exc:
        return _page(*args, values=values, errors={"attached_to": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}/evidence?added=true#evidence-{row.id}",
                            status_code=303)


@router.get("/evidence/{evidence_id}")
def evidence_file(loaded: EvidenceDep) -> Response:
    """The file, as an attachment; a link's evidence is shown on the cycle's evidence page."""
    item, cycle, _site = loaded
    if item.kind == "link":
        return RedirectResponse(f"/cycles/{cycle.id}/evidence#evidence-{item.id}",
                                status_code=303)
    return evidence_download(evidence.stored_file(item), name=item.name,
                             media=item.content_type or "application/octet-stream")


@router.post("/evidence/{evidence_id}/delete")
def evidence_remove(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    loaded: EvidenceDep) -> Response:
    """Remove evidence before it is frozen (whoever added it, or the lead)."""
    item, cycle, site = loaded
    try:
        evidence.remove_evidence(session, evidence=item, cycle=cycle, site=site,
                                 principal=principal)
    except Conflict as exc:
        return _page(request, session, principal, cycle, site, status=409,
                     errors={f"evidence_{item.id}": exc.message})
    return RedirectResponse(f"/cycles/{cycle.id}/evidence?removed=true", status_code=303)
