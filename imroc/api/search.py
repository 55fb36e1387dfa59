"""Search over JSON: the same search as the page, by the same rules of who may see what."""

from fastapi import Query

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.models.search import MAX_QUERY, MIN_QUERY, SearchHitPublic, SearchKind, SearchPage
from imroc.services import search
from imroc.validation import MAX_INT
from imroc.web.routing import Router

router = Router(tags=["search"])


@router.get("/search", response_model=SearchPage)
def search_all(session: SessionDep, principal: CurrentPrincipal,
               q: str = Query(default="", description=(
                   f"Words to find, {MIN_QUERY} to {MAX_QUERY} characters: every word must "
                   "appear (in any case); % and _ are only themselves")),
               # Checked by the service, which words the refusal for this field.
               kind: str | None = Query(default=None, description=(
                   "Only this kind (the counts still cover every kind)"),
                   json_schema_extra={"enum": [k.value for k in SearchKind]}),
               limit: int = Query(default=20, ge=1, le=100, description="Results of each kind"),
               offset: int = Query(default=0, ge=0, le=MAX_INT, description=(
                   "Results of each kind to skip"))) -> SearchPage:
    """Sites, PDSA records, actions and discussion threads this person may open that hold
    every word of `q`, best first: up to `limit` of each kind (or of `kind` alone), and how
    many of each kind there are. Ratings and their comments are not searched."""
    result = search.search(session, principal=principal, q=q, kind=kind, limit=limit,
                           offset=offset)
    return SearchPage(
        q=result.terms.q, terms=list(result.terms.words), kind=result.kind, limit=limit,
        offset=offset, counts=result.counts,
        hits=[SearchHitPublic(kind=h.kind, title=h.title, snippet=h.snippet, field=h.field,
                              url=h.url, when=h.when, place=h.place)
              for g in result.groups for h in g.hits])
