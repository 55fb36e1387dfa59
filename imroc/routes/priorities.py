"""A cycle's priorities: the challenges the steering group chose to work on, each with its
target level and reason, set by the lead at the plan stage."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep
from imroc.errors import Conflict, Invalid
from imroc.models.action import PrioritiesIn, PriorityIn
from imroc.models.cycle import Stage
from imroc.services import access, consensus, frameworks, priorities
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()
PRIORITY_INPUTS = ("challenge", "rank", "target_level", "reason")
MAX_ROWS = 10  # never read more priority rows than there are challenges


def _priorities_page(request, session, principal, cycle, site, *, values=None, errors=None,
                     rows=0, status=200) -> Response:
    errors = errors or {}
    view = consensus.consensus_view(session, cycle=cycle)
    fw = frameworks.document_by_id(session, cycle.framework_id)
    titles = {c["number"]: c["title"] for c in fw["challenges"]}
    agreed = {c.challenge: c.agreed.level for c in view.challenges if c.agreed}
    chosen = priorities.list_priorities(session, cycle=cycle)
    limit = get_settings().max_priorities
    if values is None:
        values = {}
        for n, p in enumerate(chosen, start=1):
            values |= {f"challenge_{n}": p.challenge, f"rank_{n}": p.rank,
                       f"target_level_{n}": p.target_level, f"reason_{n}": p.reason}
    return render(request, "cycles/priorities.html", {
        "cycle": cycle, "site": site, "titles": titles, "agreed": agreed, "chosen": chosen,
        "suggestions": consensus.suggestions(view), "scale": fw["scale"], "limit": limit,
        "rows": max(limit, rows), "can_set": access.is_lead(principal, site)
        and cycle.stage == Stage.plan, "values": values, "errors": errors,
        "error_list": error_list(errors),
    }, status_code=status)


@router.get("/cycles/{cycle_id}/priorities")
def priorities_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    loaded: CycleDep) -> Response:
    cycle, site = loaded
    return _priorities_page(request, session, principal, cycle, site)


def _of_row(n: int, message: str) -> str:
    """A message about one row of the priorities form, naming the row."""
    return f"Priority {n}: {message[0].lower()}{message[1:]}"


def _row_order(name: str) -> tuple[int, int]:
    field, _, n = name.rpartition("_")
    order = {"challenge": 0, "rank": 1, "target_level": 2, "reason": 3}
    return (int(n), order.get(field, 9)) if n.isdigit() else (0, -1)


@router.post("/cycles/{cycle_id}/priorities")
def priorities_set(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   loaded: CycleDep, form: Form) -> Response:
    """Rows are challenge_N, rank_N, target_level_N, reason_N; rows without a challenge are unused."""
    cycle, site = loaded
    access.ensure_lead(principal, site)
    values: dict = {}
    items, numbers, errors = [], [], {}
    for n in range(1, MAX_ROWS + 1):
        row = fields(form, *(f"{name}_{n}" for name in PRIORITY_INPUTS))
        values |= row
        if row.get(f"challenge_{n}") is None:
            continue
        try:
            given = {name: row.get(f"{name}_{n}") for name in PRIORITY_INPUTS}
            items.append(parse(PriorityIn, given | {"reason": given["reason"] or ""}))
            numbers.append(n)
        except Invalid as exc:
            errors |= {f"{key}_{n}": _of_row(n, msg) for key, msg in exc.errors.items()}
    rows = max(int(k.rsplit("_", 1)[1]) for k in values) if values else 0
    # Every problem at once: the rows that could be read are checked together as well.
    for key, msg in priorities.check_priorities(session, cycle=cycle, items=items).items():
        parts = key.split(".")
        errors[f"{parts[2]}_{numbers[int(parts[1])]}" if len(parts) == 3 else key] = \
            _of_row(numbers[int(parts[1])], msg) if len(parts) == 3 else msg
    try:
        if errors:
            raise Invalid(dict(sorted(errors.items(), key=lambda kv: _row_order(kv[0]))))
        priorities.set_priorities(session, cycle=cycle, site=site, principal=principal,
                                  data=PrioritiesIn(priorities=items))
    except Invalid as exc:
        return _priorities_page(request, session, principal, cycle, site, values=values,
                                errors=exc.errors, rows=rows, status=422)
    except Conflict as exc:
        return _priorities_page(request, session, principal, cycle, site, values=values,
                                errors={"priorities": exc.message}, rows=rows, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}/actions", status_code=303)
