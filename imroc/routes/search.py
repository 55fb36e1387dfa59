"""The search page: a GET form, results by kind with their counts, one kind a page at a time."""

from fastapi import Query, Request
from fastapi.responses import Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.errors import Invalid
from imroc.models.search import KIND_LABELS
from imroc.services import search
from imroc.templating import render
from imroc.web.forms import error_list
from imroc.web.paging import pages
from imroc.web.routing import Router

router = Router()
PER_PAGE = 20  # results of one kind on a page
OVERVIEW = 5  # results of each kind when every kind is shown


@router.get("/search")
def search_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                page: int = Query(default=1, ge=1, le=100000)) -> Response:
    """Without `q`, the form alone; with it, what this person may see holding every word."""
    params = request.query_params
    values = {"q": params.get("q", ""), "kind": params.get("kind") or None}
    result, errors, paging = None, {}, None
    if "q" in params:
        try:
            one_kind = values["kind"] is not None
            result = search.search(session, principal=principal, q=values["q"],
                                   kind=values["kind"], limit=PER_PAGE if one_kind else OVERVIEW,
                                   offset=(page - 1) * PER_PAGE if one_kind else 0)
        except Invalid as exc:
            errors = exc.errors
        if result is not None and result.kind is not None:
            paging = pages("/search", {"q": result.terms.q, "kind": result.kind.value},
                           page=page, per_page=PER_PAGE, total=result.counts[result.kind])
            if paging:
                paging["ariaLabel"] = "Pages of results"
    return render(request, "search/index.html", {
        "values": values, "errors": errors, "error_list": error_list(errors),
        "result": result, "paging": paging, "page": page, "per_page": PER_PAGE,
        "kind_labels": KIND_LABELS, "mark": search.pieces,
    }, status_code=422 if errors else 200)
