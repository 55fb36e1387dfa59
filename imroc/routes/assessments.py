"""HTML pages for the assessment: each member's own ratings and the facilitator's view.

The consensus pages are in routes/consensus.py; both read the same `level_{n}` form fields.
"""


from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.errors import Conflict, Invalid
from imroc.models import Cycle, Site
from imroc.models.assessment import RatingsIn
from imroc.models.cycle import TEXT, FeedbackCreate, Stage
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.services import access, assessments, consensus, evidence, feedback
from imroc.services.access import Principal
from imroc.templating import is_htmx, render
from imroc.validation import parse
from imroc.web.forms import Form, fields
from imroc.web.routing import Router
from imroc.web.score_forms import (
    DONT_KNOW_VALUE,
    one_challenge,
    page_context,
    save_scores,
    score_values,
)

router = Router()


# --- each member's own ratings ---------------------------------------------------------------

def _rate_page(request: Request, session: SessionDep, principal: Principal, cycle: Cycle,
               site: Site, *, values: dict | None = None, errors: dict | None = None,
               conflict: str | None = None, status: int = 200, only: int | None = None,
               saved: bool = False, state: tuple[dict, dict] | None = None) -> Response:
    mine, previous = state or assessments.rater_state(session, cycle=cycle, principal=principal)
    current = {}
    for n, rating in mine.items():
        current[f"level_{n}"] = DONT_KNOW_VALUE if rating.dont_know else str(rating.level)
        current[f"comment_{n}"] = rating.comment
    ctx = page_context(session, principal, cycle, site, values={**current, **(values or {})},
                       errors=errors)
    if conflict:
        ctx["error_list"] = [{"text": conflict, "href": "#ratings"}]
    ctx.update({"rated": len(mine), "rated_numbers": set(mine), "previous": previous,
                "conflict": conflict,
                "locked": assessments.locked_reason(cycle), "saved": saved,
                "saved_challenge": only if saved else None})
    if only:
        ctx["c"] = ctx["framework"]["challenges"][only - 1]
        ctx["oob"] = True
    else:
        ctx.update({"my_evidence": evidence.own_rating_evidence(session, cycle=cycle,
                                                                principal=principal),
                    "size_words": evidence.size_words})
    return render(request, "assessments/rate.html", ctx, status_code=status,
                  fragment="assessments/_rating.html" if only else None)


@router.get("/cycles/{cycle_id}/rate")
def rate(request: Request, session: SessionDep, principal: CurrentPrincipal, loaded: CycleDep,
         challenge: int | None = None, saved: bool = False) -> Response:
    """The member's own rating of the ten challenges (htmx: one challenge's fieldset)."""
    cycle, site = loaded
    access.ensure_group_member(principal, site)
    only = challenge if challenge in CHALLENGE_NUMBERS and is_htmx(request) else None
    return _rate_page(request, session, principal, cycle, site, only=only, saved=saved)


@router.post("/cycles/{cycle_id}/rate")
def rate_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
              loaded: CycleDep, form: Form) -> Response:
    """Save the challenges given (a draft); htmx sends one challenge at a time."""
    cycle, site = loaded
    access.ensure_group_member(principal, site)
    only = one_challenge(form) if is_htmx(request) else None
    values = score_values(form, "comment", only)
    args = (request, session, principal, cycle, site)
    # Read once, before the write: the page after the save is drawn from what was read and
    # what was written, without reading again.
    mine, previous = assessments.rater_state(session, cycle=cycle, principal=principal)
    saved: list = []

    def save(data: RatingsIn) -> None:
        saved.extend(assessments.set_ratings(session, cycle=cycle, site=site, data=data,
                                             principal=principal, mine=mine))

    try:
        save_scores(save, RatingsIn, values, text="comment", key="ratings", dont_know=True)
    except Invalid as exc:
        return _rate_page(*args, values=values, errors=exc.errors, status=422, only=only,
                          state=(mine, previous))
    except Conflict as exc:
        return _rate_page(*args, values=values, conflict=exc.message, status=409, only=only,
                          state=(mine, previous))
    if only:
        return _rate_page(*args, only=only, saved=True,
                          state=({r.challenge: r for r in saved}, previous))
    return RedirectResponse(f"/cycles/{cycle.id}/rate?saved=true", status_code=303)


# --- the facilitator's view and feedback -------------------------------------------------------

def _facilitator_page(request: Request, session: SessionDep, principal: Principal, cycle: Cycle,
                      site: Site, *, values: dict | None = None, errors: dict | None = None,
                      conflict: str | None = None, status: int = 200,
                      feedback_values: dict | None = None) -> Response:
    can_rate = access.is_site_facilitator(principal, site)
    current = {}
    if can_rate:
        for r in feedback.list_facilitator_ratings(session, cycle=cycle):
            if r.rater_id == principal.user.id:
                current[f"level_{r.challenge}"], current[f"comment_{r.challenge}"] = \
                    str(r.level), r.comment
    ctx = page_context(session, principal, cycle, site, values={**current, **(values or {})},
                       errors=errors)
    if conflict:
        ctx["error_list"] = [{"text": conflict, "href": "#facilitator-ratings"}]
    ctx.update({
        "view": consensus.consensus_view(session, cycle=cycle), "can_rate": can_rate,
        "can_feedback": access.can_give_feedback(principal, site),
        "feedback": feedback.list_feedback_with_authors(session, cycle=cycle),
        "feedback_values": feedback_values or {}, "conflict": conflict,
        "closed": cycle.stage == Stage.closed,
    })
    return render(request, "assessments/facilitator.html", ctx, status_code=status)


@router.get("/cycles/{cycle_id}/facilitator")
def facilitator(request: Request, session: SessionDep, principal: CurrentPrincipal,
                loaded: CycleDep) -> Response:
    """Self vs facilitator: the agreed levels beside the facilitator's, and feedback."""
    cycle, site = loaded
    return _facilitator_page(request, session, principal, cycle, site)


@router.post("/cycles/{cycle_id}/facilitator")
def facilitator_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     loaded: CycleDep, form: Form) -> Response:
    cycle, site = loaded
    access.ensure_facilitator(principal, site)
    values = score_values(form, "comment")
    args = (request, session, principal, cycle, site)

    def save(data: RatingsIn) -> None:
        feedback.set_facilitator_ratings(session, cycle=cycle, site=site, data=data,
                                            principal=principal)

    try:
        save_scores(save, RatingsIn, values, text="comment", key="ratings")
    except Invalid as exc:
        return _facilitator_page(*args, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        return _facilitator_page(*args, values=values, conflict=exc.message, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}/facilitator", status_code=303)


@router.post("/cycles/{cycle_id}/feedback")
def feedback_add(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 loaded: CycleDep, form: Form) -> Response:
    """Facilitators and the programme team comment on the cycle."""
    cycle, site = loaded
    access.ensure_feedback(principal, site)
    values = fields(form, "body")
    try:
        feedback.give_feedback(session, cycle=cycle, site=site, principal=principal,
                                 data=parse(FeedbackCreate, values))
    except Invalid:
        errors = {"body": f"Feedback must be {TEXT} characters or fewer" if values.get("body")
                  else "Enter your feedback"}
        return _facilitator_page(request, session, principal, cycle, site, errors=errors,
                                 status=422, feedback_values=values)
    return RedirectResponse(f"/cycles/{cycle.id}/facilitator#feedback", status_code=303)
