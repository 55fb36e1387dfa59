"""HTML pages for the consensus: everyone's ratings side by side, the agreed levels, sign-off."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.errors import Conflict, Invalid
from imroc.models import Cycle, Site
from imroc.models.assessment import ReopenIn, ScoresIn
from imroc.models.user import Perspective
from imroc.services import access, assessments, consensus, evidence, voices
from imroc.services.access import Principal
from imroc.templating import render
from imroc.validation import parse
from imroc.web import evidence_view
from imroc.web.forms import Form, fields
from imroc.web.routing import Router
from imroc.web.score_forms import page_context, save_scores, score_values

router = Router()


def _page(request: Request, session: SessionDep, principal: Principal, cycle: Cycle, site: Site,
          *, values: dict | None = None, errors: dict | None = None, status: int = 200,
          conflict: tuple[str, str] | None = None, reason: str | None = None,
          saved: bool = False, signed_off: bool = False) -> Response:
    view = consensus.consensus_view(session, cycle=cycle)
    current: dict[str, str] = {}
    for c in view.challenges:
        if c.agreed is not None:
            current[f"rationale_{c.challenge}"] = c.agreed.rationale
            if not c.agreed.to_reconfirm:  # last cycle's level waits for someone to confirm it
                current[f"level_{c.challenge}"] = str(c.agreed.level)
    ctx = page_context(session, principal, cycle, site, values={**current, **(values or {})},
                       errors=errors)
    if conflict:
        message, anchor = conflict
        ctx["error_list"] = [{"text": message, "href": anchor}]
    ctx.update({
        "view": view, "perspectives": [p.value for p in Perspective],
        "waiting": voices.waiting(session, cycle=cycle),
        "can_agree": access.is_lead(principal, site),
        "locked": assessments.locked_reason(cycle), "reason": reason or "",
        "to_reconfirm": sum(1 for c in view.challenges if c.agreed and c.agreed.to_reconfirm),
        "saved": saved, "signed_off": signed_off,
        **_evidence(session, principal, cycle, site),
    })
    return render(request, "assessments/consensus.html", ctx, status_code=status)


def _evidence(session: SessionDep, principal: Principal, cycle: Cycle, site: Site) -> dict:
    """Each challenge's evidence (ratings' and the agreed level's), and what may be added."""
    listed = evidence.list_evidence(session, cycle=cycle, site=site, principal=principal)
    return {"evidence": evidence_view.by_challenge(listed),
            "evidence_open": evidence.frozen_reason(cycle, "consensus") is None,
            "may_rate": access.is_group_member(principal, site),
            "type_label": evidence_view.type_label, "size_words": evidence.size_words,
            "for_words": evidence_view.FOR_WORDS}


def _back(cycle: Cycle, query: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cycles/{cycle.id}/consensus{query}", status_code=303)


@router.get("/cycles/{cycle_id}/consensus")
def consensus_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   loaded: CycleDep, saved: bool = False, signed_off: bool = False) -> Response:
    """The ratings by perspective with their spread and flags; the lead agrees levels here.
    A member who has not rated all ten yet sees no one else's ratings (no anchoring)."""
    cycle, site = loaded
    if not assessments.sees_others(session, cycle=cycle, site=site, principal=principal):
        mine = assessments.my_ratings(session, cycle=cycle, principal=principal)
        return render(request, "assessments/consensus_wait.html", {
            "cycle": cycle, "site": site, "rated": len(mine)})
    return _page(request, session, principal, cycle, site, saved=saved, signed_off=signed_off)


@router.post("/cycles/{cycle_id}/consensus")
def consensus_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   loaded: CycleDep, form: Form) -> Response:
    """The lead records the agreed levels and rationale; blank challenges are left as they are."""
    cycle, site = loaded
    access.ensure_lead(principal, site)
    values = score_values(form, "rationale")
    args = (request, session, principal, cycle, site)
    try:
        _save_typed(session, principal, cycle, site, values)
    except Invalid as exc:
        return _page(*args, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        return _page(*args, values=values, status=409, conflict=(exc.message, "#agree"))
    return _back(cycle, "?saved=true")


def _save_typed(session: SessionDep, principal: Principal, cycle: Cycle, site: Site,
                values: dict) -> None:
    """Save the agreed levels and rationales as typed on the form (Invalid names a field)."""
    stored = {s.challenge: s.rationale for s in assessments.list_consensus(session, cycle=cycle)}

    def save(data: ScoresIn) -> None:
        assessments.set_consensus(session, cycle=cycle, site=site, data=data, principal=principal)

    save_scores(save, ScoresIn, values, text="rationale", key="scores", stored=stored)


@router.post("/cycles/{cycle_id}/consensus/sign-off")
def sign_off(request: Request, session: SessionDep, principal: CurrentPrincipal,
             loaded: CycleDep, form: Form) -> Response:
    """Save what the form holds, then lock the assessment once every challenge has an agreed,
    confirmed level; nothing typed is lost on the way."""
    cycle, site = loaded
    access.ensure_lead(principal, site)
    values = score_values(form, "rationale")
    args = (request, session, principal, cycle, site)
    try:
        if any(v is not None for v in values.values()):
            _save_typed(session, principal, cycle, site, values)
        assessments.sign_off(session, cycle=cycle, site=site, principal=principal)
    except Invalid as exc:
        return _page(*args, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        return _page(*args, values=values, status=409, conflict=(exc.message, "#sign-off"))
    return _back(cycle, "?signed_off=true")


@router.post("/cycles/{cycle_id}/consensus/reopen")
def reopen(request: Request, session: SessionDep, principal: CurrentPrincipal,
           loaded: CycleDep, form: Form) -> Response:
    """Unlock a signed-off assessment; the reason is kept in the audit trail."""
    cycle, site = loaded
    access.ensure_lead(principal, site)
    reason = fields(form, "reason").get("reason") or ""
    args = (request, session, principal, cycle, site)
    try:
        assessments.reopen(session, cycle=cycle, site=site, principal=principal,
                           data=parse(ReopenIn, {"reason": reason}))
    except Invalid as exc:
        message = exc.errors.get("reason", exc.message) if reason else \
            "Enter the reason for reopening the assessment"
        return _page(*args, errors={"reason": message}, status=422, reason=reason)
    except Conflict as exc:
        anchor = "#reopen" if cycle.signed_off_at else "#sign-off"
        return _page(*args, status=409, conflict=(exc.message, anchor), reason=reason)
    return _back(cycle)
