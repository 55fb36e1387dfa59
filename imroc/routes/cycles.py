"""Cycle pages: opening a cycle, the cycle page (stages, PDSA record, moving on), history."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep, SiteDep
from imroc.errors import Conflict, Invalid
from imroc.models.cycle import (
    PDSA_FIELDS,
    STAGE_LABELS,
    STAGE_ORDER,
    CycleCreate,
    CycleUpdate,
    Stage,
)
from imroc.models.progress_score import Giver, ProgressScoreIn
from imroc.services import (
    access,
    actions,
    audit,
    change_library,
    consensus,
    cycles,
    frameworks,
    meetings,
    objectives,
    priorities,
    progress_scores,
)
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measure_defs
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router
from imroc.web.sections import STAGE_NAMES, site_cycles

router = Router()
OPEN_INPUTS = ("started_on", "review_due_on", "meeting_id")
CHANGE_WORDS = {"up": "Up", "down": "Down", "unchanged": "Unchanged",
                "carried over": "Carried over"}


def _open_page(request, session, principal, site, *, values, errors, status) -> Response:
    return render(request, "cycles/open.html", {
        "site": site, "error_list": error_list(errors),
        **site_cycles(session, principal, site, values=values, errors=errors),
    }, status_code=status)


@router.post("/sites/{site_id}/cycles")
def cycle_open(request: Request, session: SessionDep, principal: CurrentPrincipal,
               site: SiteDep, form: Form) -> Response:
    access.ensure_lead(principal, site)
    values = fields(form, *OPEN_INPUTS)
    try:
        cycle = cycles.open_cycle(session, site=site, principal=principal,
                                  data=parse(CycleCreate, values))
    except Invalid as exc:
        return _open_page(request, session, principal, site, values=values, errors=exc.errors,
                          status=422)
    except Conflict as exc:
        return _open_page(request, session, principal, site, values=values,
                          errors={"open_cycle": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}", status_code=303)


def _stages(cycle) -> list[dict]:
    here = STAGE_ORDER.index(Stage(cycle.stage))
    return [{"stage": s.value, "label": STAGE_LABELS[s],
             "state": "done" if i < here else "current" if i == here else "to come"}
            for i, s in enumerate(STAGE_ORDER)]


def _cycle_page(request, session, principal, cycle, site, *, values=None, errors=None,
                conflict=None, status=200, moved=False, saved=False,
                scored: dict | None = None) -> Response:
    errors = errors or {}
    siblings = cycles.list_cycles(session, site=site)
    at = next(i for i, c in enumerate(siblings) if c.id == cycle.id)
    stage = Stage(cycle.stage)
    nxt = STAGE_ORDER[STAGE_ORDER.index(stage) + 1] if stage != Stage.closed else None
    can_write = access.is_group_member(principal, site) and stage != Stage.closed
    fw = frameworks.document_by_id(session, cycle.framework_id)
    chosen = priorities.list_priorities(session, cycle=cycle)
    plan = actions.list_actions(session, cycle=cycle)
    analyses = measure_charts.for_challenges(session, site=site,
                                             challenges=[p.challenge for p in chosen])
    links = measure_defs.challenges_of(session, [a.measure.id for a in analyses])
    outcomes = objectives.for_cycles(session, [cycle.id])
    return render(request, "cycles/show.html", {
        "cycle": cycle, "site": site, "stages": _stages(cycle), "stage_names": STAGE_NAMES,
        "next_stage": STAGE_LABELS[nxt] if nxt else None,
        "blockers": cycles.blockers(session, cycle) if nxt else [],
        "can_lead": access.is_lead(principal, site), "can_write": can_write,
        "previous": siblings[at - 1] if at > 0 else None,
        "following": siblings[at + 1] if at + 1 < len(siblings) else None,
        **_meeting_context(session, principal, cycle, site, values),
        **_progress_context(session, principal, cycle, site, scored),
        "priorities": chosen,
        "chain": [_chain(p, outcomes.get(p.id), plan, analyses, links) for p in chosen],
        "measure_charts": [(a, a.chart(f"measure-{a.measure.id}")) for a in analyses],
        "titles": {c["number"]: c["title"] for c in fw["challenges"]},
        "action_counts": actions.status_counts(plan),
        "to_carry": [a for a in plan if cycles.carries_on(a)] if stage == Stage.act else [],
        "moved": moved, "saved": saved,
        "reopenings": audit.reopenings(session, cycle_id=cycle.id),
        "sharing": change_library.shared_from_cycle(session, principal=principal, cycle=cycle,
                                                    site=site),
        "values": values if values is not None else {f: getattr(cycle, f) for f in PDSA_FIELDS},
        "errors": errors, "error_list": error_list(errors), "conflict": conflict,
    }, status_code=status)


def _chain(priority, outcome, plan, analyses, links) -> dict:
    """One priority's line from challenge to the level agreed next time: its actions, the
    measures linked to its challenge and its outcome at the next signed-off assessment."""
    own = [a for a in plan if a.challenge == priority.challenge]
    return {"priority": priority, "outcome": outcome,
            "actions": len(own), "done": sum(a.status == "done" for a in own),
            "measures": [a.measure for a in analyses
                         if priority.challenge in links.get(a.measure.id, [])]}


def _meeting_context(session, principal, cycle, site, values) -> dict:
    """The meeting the cycle is tied to, and the form to tie it (lead, facilitator, team)."""
    options = meetings.options_for(session, cycle=cycle)
    can_link = access.can_link_meeting(principal, site, cycle)
    chosen = (values or {}).get("meeting_id", cycle.meeting_id)
    return {
        "meeting": next((m for m in options if m.id == cycle.meeting_id), None),
        "meeting_options": options if can_link else [],
        "meeting_values": {"meeting_id": chosen},
        "can_see_meeting": principal.is_programme
        or cycle.learning_set_id in principal.facilitated_set_ids,
    }


def _progress_context(session, principal, cycle, site, scored) -> dict:
    """The cycle's two progress scores, and the forms of those this person gives: what was
    typed (`scored`) after a refused save, else what is saved."""
    rows = progress_scores.scores_of(session, cycle=cycle)
    typed = {}
    for g in Giver:
        row = rows.get(g.value)
        typed[f"{g.value}_score"] = f"{row.score:.1f}" if row else None
        typed[f"{g.value}_comment"] = row.comment if row else ""
        typed[f"{g.value}_version"] = row.version if row else ""
    return {"progress": rows, "progress_names": progress_scores.givers_of(session, rows=rows),
            "progress_levels": progress_scores.levels(),
            "progress_may": progress_scores.may_give(principal, site=site, cycle=cycle),
            "progress_saved": bool((scored or {}).pop("saved", False)),
            "progress_values": {**typed, **(scored or {})}}


def _give_score(request, session, principal, loaded, giver: Giver, form) -> Response:
    cycle, site = loaded
    access.ensure_give_progress_score(principal, site, cycle, giver.value)
    values = fields(form, "score", "comment", "version")
    scored = {f"{giver.value}_{k}": values.get(k) for k in ("score", "comment", "version")}
    try:
        data = parse(ProgressScoreIn, {**values, "comment": values.get("comment") or ""})
        progress_scores.set_score(session, cycle=cycle, site=site, giver=giver.value, data=data,
                                  principal=principal)
    except Invalid as exc:
        errors = {f"{giver.value}_{k}": v for k, v in exc.errors.items()}
        return _cycle_page(request, session, principal, cycle, site, errors=errors,
                           scored=scored, status=422)
    except Conflict as exc:
        return _cycle_page(request, session, principal, cycle, site, scored=scored,
                           errors={f"{giver.value}_score": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}?score_saved=true#progress-scores",
                            status_code=303)


@router.post("/cycles/{cycle_id}/progress-scores/site")
def cycle_site_score(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     loaded: CycleDep, form: Form) -> Response:
    """The lead gives or changes the site's progress score of the cycle."""
    return _give_score(request, session, principal, loaded, Giver.site, form)


@router.post("/cycles/{cycle_id}/progress-scores/facilitator")
def cycle_facilitator_score(request: Request, session: SessionDep, principal: CurrentPrincipal,
                            loaded: CycleDep, form: Form) -> Response:
    """A facilitator of the set the cycle ran in gives or changes the facilitator's score."""
    return _give_score(request, session, principal, loaded, Giver.facilitator, form)


@router.get("/cycles/{cycle_id}")
def cycle_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
               loaded: CycleDep, moved: bool = False, saved: bool = False,
               score_saved: bool = False) -> Response:
    cycle, site = loaded
    return _cycle_page(request, session, principal, cycle, site, moved=moved, saved=saved,
                       scored={"saved": score_saved})


@router.post("/cycles/{cycle_id}/record")
def cycle_record(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 loaded: CycleDep, form: Form) -> Response:
    """Save the PDSA record; a stale version shows the person's text beside the saved text."""
    cycle, site = loaded
    access.ensure_group_member(principal, site)
    values = fields(form, *PDSA_FIELDS, "version")
    typed = {f: values.get(f) or "" for f in PDSA_FIELDS if f in values}
    try:
        data = parse(CycleUpdate, {**typed, "version": values.get("version")})
        cycles.update_record(session, cycle=cycle, site=site, data=data, principal=principal)
    except Invalid as exc:
        return _cycle_page(request, session, principal, cycle, site, values=typed,
                           errors=exc.errors, status=422)
    except Conflict as exc:
        if exc.current is None:  # the cycle is closed
            return _cycle_page(request, session, principal, cycle, site,
                               errors={"pdsa_record": exc.message}, status=409)
        changed = [f for f in typed if typed[f] != getattr(exc.current, f)]
        return _cycle_page(request, session, principal, cycle, site, values=typed,
                           errors={"pdsa_record": exc.message}, status=409,
                           conflict={"fields": changed, "current": exc.current})
    return RedirectResponse(f"/cycles/{cycle.id}?saved=true#pdsa-record", status_code=303)


@router.post("/cycles/{cycle_id}/meeting")
def cycle_meeting(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: CycleDep, form: Form) -> Response:
    """Tie the cycle to a meeting of its learning set, change the meeting, or untie it."""
    cycle, site = loaded
    access.ensure_link_meeting(principal, site, cycle)
    values = fields(form, "meeting_id", "version")
    try:
        data = parse(CycleUpdate, {"meeting_id": values.get("meeting_id"),
                                   "version": values.get("version")})
        cycles.update_record(session, cycle=cycle, site=site, data=data, principal=principal)
    except Invalid as exc:
        return _cycle_page(request, session, principal, cycle, site, values={
            **{f: getattr(cycle, f) for f in PDSA_FIELDS}, "meeting_id": values.get("meeting_id")},
            errors=exc.errors, status=422)
    except Conflict as exc:
        return _cycle_page(request, session, principal, cycle, site, values={
            **{f: getattr(cycle, f) for f in PDSA_FIELDS}, "meeting_id": values.get("meeting_id")},
            errors={"meeting_id": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}?saved=true#meeting", status_code=303)


@router.post("/cycles/{cycle_id}/advance")
def cycle_advance(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: CycleDep, form: Form) -> Response:
    cycle, site = loaded
    seen = form.get("stage")
    try:
        cycles.advance(session, cycle=cycle, site=site, principal=principal,
                       from_stage=seen if isinstance(seen, str) and seen else None)
    except Conflict as exc:
        return _cycle_page(request, session, principal, cycle, site,
                           errors={"advance": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}?moved=true", status_code=303)


@router.get("/sites/{site_id}/history")
def site_history(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 site: SiteDep) -> Response:
    """Every cycle of the site: agreed levels per challenge and how each changed."""
    rows, table = consensus.history(session, site=site)
    fw = frameworks.document_by_id(session, rows[-1].framework_id) if rows else \
        frameworks.document(session, frameworks.current(session))
    return render(request, "cycles/history.html", {
        "site": site, "cycles": rows, "table": table, "challenges": fw["challenges"],
        "objectives": objectives.by_cycle(session, [c.id for c in rows]),
        "stage_names": STAGE_NAMES, "change_words": CHANGE_WORDS,
    })
