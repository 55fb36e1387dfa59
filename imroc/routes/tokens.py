"""A person's own API tokens, on their account page."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.errors import Invalid
from imroc.services import api_tokens
from imroc.templating import render
from imroc.web.forms import Form, error_list
from imroc.web.routing import Router

router = Router()


def _page(request: Request, session: SessionDep, principal: CurrentPrincipal, *,
          values: dict | None = None, errors: dict | None = None, secret: str | None = None,
          made: str | None = None, revoked: bool = False, status: int = 200) -> Response:
    rows = api_tokens.list_tokens(session, user=principal.user)
    return render(request, "auth/tokens.html", {
        "tokens": [(r, api_tokens.is_live(r)) for r in rows],
        "lifetimes": [(str(d), f"{d} days") for d in api_tokens.LIFETIMES],
        "values": values or {"days": "30"}, "errors": errors or {},
        "error_list": error_list(errors or {}), "secret": secret, "made": made,
        "revoked": revoked}, status_code=status)


@router.get("/account/tokens")
def tokens_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                revoked: bool = False) -> Response:
    return _page(request, session, principal, revoked=revoked)


@router.post("/account/tokens")
def token_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 form: Form) -> Response:
    values = {k: str(form.get(k) or "")[:300] for k in ("name", "days")}
    try:
        secret, row = api_tokens.create(session, user=principal.user, **values)
    except Invalid as exc:
        return _page(request, session, principal, values=values, errors=exc.errors, status=422)
    # The secret is shown once, on this answer, and never put in an address.
    response = _page(request, session, principal, secret=secret, made=row.name, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(session: SessionDep, principal: CurrentPrincipal, token_id: str) -> Response:
    api_tokens.revoke(session, user=principal.user, token_id=token_id)
    return RedirectResponse("/account/tokens?revoked=true", status_code=303)
