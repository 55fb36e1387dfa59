"""The consensus meeting: the lead projects one challenge at a time, with the spread by
perspective, the comments and who has not rated, and records the agreed level from it."""

from fastapi import Path, Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.errors import Conflict, Invalid
from imroc.models.assessment import ScoresIn
from imroc.models.framework import CHALLENGE_COUNT
from imroc.models.user import Perspective
from imroc.services import access, assessments, consensus, frameworks, users
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()
Challenge = Path(ge=1, le=CHALLENGE_COUNT)


@router.post("/cycles/{cycle_id}/consensus/meeting")
def open_meeting(session: SessionDep, principal: CurrentPrincipal, loaded: CycleDep) -> Response:
    """From now on every member of the group sees everyone's ratings."""
    cycle, site = loaded
    assessments.open_meeting(session, cycle=cycle, site=site, principal=principal)
    return RedirectResponse(f"/cycles/{cycle.id}/consensus/meeting/1", status_code=303)


def _screen(request, session, principal, cycle, site, n: int, *, values=None, errors=None,
            status=200, saved=False) -> Response:
    access.ensure_lead(principal, site)
    view = consensus.consensus_view(session, cycle=cycle)
    spread = view.challenges[n - 1]
    rated = {r.rater_id for rows in spread.by_perspective.values() for r in rows}
    waiting = [(u.name, m.perspective) for m, u in users.list_members(session, site=site)
               if u.id not in rated]
    framework = frameworks.document_by_id(session, cycle.framework_id)
    current = {}
    if spread.agreed is not None:
        current = {"rationale": spread.agreed.rationale}
        if not spread.agreed.to_reconfirm:
            current["level"] = str(spread.agreed.level)
    errors = errors or {}
    return render(request, "assessments/meeting.html", {
        "cycle": cycle, "site": site, "n": n, "count": CHALLENGE_COUNT, "spread": spread,
        "challenge": framework["challenges"][n - 1], "scale": framework["scale"],
        "waiting": waiting, "perspectives": [p.value for p in Perspective],
        "values": {**current, **(values or {})}, "errors": errors,
        "error_list": error_list(errors), "saved": saved,
        "locked": assessments.locked_reason(cycle)}, status_code=status)


@router.get("/cycles/{cycle_id}/consensus/meeting/{challenge}")
def meeting_screen(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   loaded: CycleDep, challenge: int = Challenge, saved: bool = False) -> Response:
    cycle, site = loaded
    return _screen(request, session, principal, cycle, site, challenge, saved=saved)


@router.post("/cycles/{cycle_id}/consensus/meeting/{challenge}")
def meeting_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 loaded: CycleDep, form: Form, challenge: int = Challenge) -> Response:
    """Record the level the group agreed for this challenge, then go on to the next."""
    cycle, site = loaded
    values = fields(form, "level", "rationale")
    target = challenge + 1 if form.get("go") == "next" and challenge < CHALLENGE_COUNT \
        else challenge
    if values.get("level") is None and not values.get("rationale"):
        return RedirectResponse(f"/cycles/{cycle.id}/consensus/meeting/{target}",
                                status_code=303)
    try:
        data = parse(ScoresIn, {"scores": [{"challenge": challenge, "level": values.get("level"),
                                            "rationale": values.get("rationale") or ""}]})
        assessments.set_consensus(session, cycle=cycle, site=site, data=data,
                                  principal=principal)
    except Invalid as exc:
        errors = {k.rsplit(".", 1)[-1]: v for k, v in exc.errors.items()}
        return _screen(request, session, principal, cycle, site, challenge, values=values,
                       errors=errors, status=422)
    except Conflict as exc:
        return _screen(request, session, principal, cycle, site, challenge, values=values,
                       errors={"level": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}/consensus/meeting/{target}?saved=true",
                            status_code=303)
