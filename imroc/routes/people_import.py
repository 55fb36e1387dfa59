"""Importing people from a CSV file: check first, then everyone or no one (administrators)."""

from fastapi import File, Form, Request, UploadFile
from starlette.background import BackgroundTask

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal
from imroc.errors import Invalid
from imroc.services import access, mail
from imroc.services.people_import import import_people
from imroc.templating import render
from imroc.web.forms import error_list
from imroc.web.routing import Router

router = Router()


@router.get("/admin/users/import")
def import_page(request: Request, principal: CurrentPrincipal):
    access.ensure_admin(principal)
    return render(request, "users/import.html", {"values": {"check_only": True,
                                                             "invite": True}})


@router.post("/admin/users/import")
def import_upload(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  file: UploadFile | None = File(default=None),
                  check_only: str | None = Form(default=None),
                  invite: str | None = Form(default=None)):
    access.ensure_admin(principal)
    values = {"check_only": bool(check_only), "invite": bool(invite)}
    limit = get_settings().max_upload_bytes
    data = file.file.read(limit + 1) if file is not None else b""
    try:
        if file is None or not file.filename and not data:
            raise Invalid({"file": "Select a file to import"})
        report = import_people(session, data, principal=principal, dry_run=bool(check_only),
                               invite=bool(invite), max_bytes=limit)
    except Invalid as exc:
        return render(request, "users/import.html", {
            "values": values, "errors": exc.errors,
            "error_list": error_list(exc.errors)}, status_code=422)
    response = render(request, "users/import_report.html", {"report": report, "values": values},
                      status_code=422 if report.problems else 200)
    if report.mail_ids:  # the invitations go out once the page has been sent
        response.background = BackgroundTask(mail.deliver, ids=report.mail_ids)
    return response
