"""Notifications in the product, and how each person wants to hear of them by e-mail."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.models.notification import KIND_LABELS
from imroc.services import notifications
from imroc.templating import render
from imroc.web.forms import Form
from imroc.web.routing import Router

router = Router()
# Unsubscribing from a link in an e-mail needs no session and no CSRF token: the link's own
# signature is the permission, and all it can do is turn e-mail off (RFC 8058 one-click).
links = Router(include_in_schema=False)


@router.get("/notifications")
def notification_list(request: Request, session: SessionDep,
                      principal: CurrentPrincipal) -> Response:
    return render(request, "notifications/index.html", {
        "notices": notifications.list_for(session, user_id=principal.user.id)})


@router.post("/notifications/{notification_id}/open")
def notification_open(session: SessionDep, principal: CurrentPrincipal,
                      notification_id: PathId) -> Response:
    """Mark it read and go to the page it is about."""
    notice = notifications.mark_read(session, user_id=principal.user.id,
                                     notification_id=notification_id)
    return RedirectResponse(notice.url, status_code=303)


@router.get("/account/notifications")
def choices_page(request: Request, principal: CurrentPrincipal, saved: bool = False) -> Response:
    return render(request, "notifications/choices.html", {
        "kinds": KIND_LABELS, "saved": saved, "choice": principal.user.mail_choice,
        "muted": set(principal.user.mail_muted.split(","))})


@router.post("/account/notifications")
def choices_save(session: SessionDep, principal: CurrentPrincipal, form: Form) -> Response:
    chosen = {k for k in form.getlist("kinds") if isinstance(k, str)}
    notifications.set_choices(session, user=principal.user,
                              choice=str(form.get("choice") or "each"),
                              muted=[k for k in KIND_LABELS if k not in chosen])
    return RedirectResponse("/account/notifications?saved=true", status_code=303)


@links.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    return render(request, "notifications/unsubscribe.html", {"token": token, "done": None,
                                                              "refused": False})


@links.post("/unsubscribe/{token}")
def unsubscribe(request: Request, session: SessionDep, token: str) -> Response:
    done = notifications.unsubscribe(session, token=token)
    return render(request, "notifications/unsubscribe.html", {
        "token": token, "done": done, "refused": done is None}, status_code=200 if done else 404)
