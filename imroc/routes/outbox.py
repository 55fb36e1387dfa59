"""The administrators' view of the e-mail outbox: what was sent, what waits, what failed."""

from fastapi import Request
from fastapi.responses import Response

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.services import access, mail
from imroc.templating import render
from imroc.web.routing import Router

router = Router()
PAGE = 50


@router.get("/admin/mail")
def outbox(request: Request, session: SessionDep, principal: CurrentPrincipal,
           page: int = 1) -> Response:
    """Without a mail server (development, the demo) this is where messages can be read."""
    access.ensure_admin(principal)
    page = max(1, min(page, 100000))
    rows, total = mail.list_outbox(session, limit=PAGE, offset=(page - 1) * PAGE)
    return render(request, "admin/mail.html", {
        "rows": rows, "total": total, "page": page, "per_page": PAGE,
        "configured": bool(get_settings().smtp_url), "waiting": mail.waiting(session)})
