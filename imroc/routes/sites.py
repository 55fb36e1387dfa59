"""Site pages: list, create, view, edit, archive, and the steering group's members."""

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId, SiteDep
from imroc.errors import Conflict, Invalid
from imroc.models.invitation import SiteInvitationIn
from imroc.models.site import SiteCreate, SiteUpdate
from imroc.models.user import MembershipCreate, Perspective, SiteRole
from imroc.services import access, audit, invitations, learning_sets, mail, sites, users
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router
from imroc.web.sections import site_cycles

router = Router()
SITE_INPUTS = ("name", "organisation", "kind", "learning_set_id", "region", "joined_on",
               "consultancy_days_allocated")


def _form_page(request: Request, session: SessionDep, principal, *, site=None, values=None,
               errors=None, status=200, conflict=None) -> Response:
    errors = errors or {}
    return render(request, "sites/form.html", {
        "site": site, "values": values or {}, "errors": errors, "error_list": error_list(errors),
        "kinds": sites.list_kinds(session), "conflict": conflict,
        "sets": learning_sets.list_learning_sets(session, principal=principal),
    }, status_code=status)


@router.get("/sites")
def site_list(request: Request, session: SessionDep, principal: CurrentPrincipal,
              archived: bool = False) -> Response:
    rows = sites.list_sites(session, principal=principal, include_archived=archived)
    sets = {ls.id: ls.name for ls in learning_sets.list_learning_sets(
        session, principal=principal, include_archived=True)}
    return render(request, "sites/index.html", {
        "sites": rows, "set_names": sets, "archived": archived,
        "can_manage": access.can_manage_sites(principal)})


@router.get("/sites/new")
def site_new(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    access.ensure_manage_sites(principal)
    return _form_page(request, session, principal)


@router.post("/sites")
def site_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                form: Form) -> Response:
    access.ensure_manage_sites(principal)
    values = fields(form, *SITE_INPUTS)
    try:
        given = {k: v for k, v in values.items() if v is not None}  # blank means "not given"
        site = sites.create_site(session, principal=principal, data=parse(SiteCreate, given))
    except Invalid as exc:
        return _form_page(request, session, principal, values=values, errors=exc.errors,
                          status=422)
    return RedirectResponse(f"/sites/{site.id}", status_code=303)


@router.get("/sites/{site_id}")
def site_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
              site: SiteDep) -> Response:
    return render(request, "sites/show.html", {
        "site": site, "history": sites.learning_set_history(session, site=site),
        "kind": next((k for k in sites.list_kinds(session) if k.code == site.kind), None),
        "can_manage": access.can_manage_sites(principal),
        "can_members": access.can_manage_members(principal, site),
        "can_audit": access.can_read_audit(principal, site),
        **site_cycles(session, principal, site),
    })


@router.get("/sites/{site_id}/edit")
def site_edit(request: Request, session: SessionDep, principal: CurrentPrincipal,
              site: SiteDep) -> Response:
    access.ensure_manage_sites(principal)
    return _form_page(request, session, principal, site=site,
                      values=site.model_dump(include=set(SITE_INPUTS)))


@router.post("/sites/{site_id}/edit")
def site_update(request: Request, session: SessionDep, principal: CurrentPrincipal,
                site: SiteDep, form: Form) -> Response:
    access.ensure_manage_sites(principal)
    values = fields(form, *SITE_INPUTS, "version")
    values.setdefault("learning_set_id", None)
    try:
        sites.update_site(session, site=site, principal=principal, data=parse(SiteUpdate, values))
    except Invalid as exc:
        return _form_page(request, session, principal, site=site, values=values,
                          errors=exc.errors, status=422)
    except Conflict as exc:
        session.refresh(site)
        return _form_page(request, session, principal, site=site, values=values, status=409,
                          errors={"version": exc.message}, conflict=exc.current)
    return RedirectResponse(f"/sites/{site.id}", status_code=303)


@router.post("/sites/{site_id}/archive")
def site_archive(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 site: SiteDep, form: Form) -> Response:
    archive = form.get("archive") != "false"
    sites.update_site(session, site=site, principal=principal,
                      data=SiteUpdate(archived=archive))
    return RedirectResponse(f"/sites/{site.id}", status_code=303)


def _members_page(request, session, site, *, values=None, errors=None, status=200,
                  removed=False, invited=None) -> Response:
    errors = errors or {}
    return render(request, "sites/members.html", {"removed": removed, "invited": invited,
        "site": site, "members": users.list_members(session, site=site),
        "invitations": invitations.list_for_site(session, site=site),
        "invitation_status": invitations.status,
        "values": values or {}, "errors": errors, "error_list": error_list(errors),
        "roles": list(SiteRole), "perspectives": list(Perspective),
    }, status_code=status)


@router.get("/sites/{site_id}/members")
def members(request: Request, session: SessionDep, principal: CurrentPrincipal,
            site: SiteDep, removed: bool = False, invited: str | None = None) -> Response:
    access.ensure_manage_members(principal, site)
    return _members_page(request, session, site, removed=removed, invited=invited)


INVITE = ("email", "name", "role", "perspective")


@router.post("/sites/{site_id}/invitations")
def site_invite(request: Request, session: SessionDep, principal: CurrentPrincipal,
                site: SiteDep, form: Form) -> Response:
    """Invite someone by e-mail; the message goes after the answer."""
    access.ensure_manage_members(principal, site)
    values = fields(form, *(f"invite_{k}" for k in INVITE))
    try:
        inv, mail_id = invitations.invite_to_site(
            session, site=site, principal=principal,
            data=parse(SiteInvitationIn, {k: values.get(f"invite_{k}") for k in INVITE}))
    except Invalid as exc:
        errors = {f"invite_{k}": v for k, v in exc.errors.items()}
        return _members_page(request, session, site, values=values, errors=errors, status=422)
    return RedirectResponse(f"/sites/{site.id}/members?invited={quote(inv.email)}",
                            status_code=303, background=BackgroundTask(mail.deliver,
                                                                       ids=[mail_id]))


@router.post("/sites/{site_id}/members")
def member_add(request: Request, session: SessionDep, principal: CurrentPrincipal,
               site: SiteDep, form: Form) -> Response:
    access.ensure_manage_members(principal, site)
    values = fields(form, "email", "role", "perspective")
    try:
        users.add_membership(session, site=site, actor=principal.user,
                             data=parse(MembershipCreate, values))
    except Invalid as exc:
        return _members_page(request, session, site, values=values, errors=exc.errors,
                             status=422)
    return RedirectResponse(f"/sites/{site.id}/members", status_code=303)


def _confirm_remove(request, session, site, membership_id: int) -> Response:
    """The NHS confirmation page: what taking someone off the group means, before it happens."""
    membership, person = users.get_membership(session, site=site, membership_id=membership_id)
    return render(request, "sites/remove_member.html", {
        "site": site, "membership": membership, "person": person})


@router.get("/sites/{site_id}/members/{membership_id}/remove")
def member_remove_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                       site: SiteDep, membership_id: PathId) -> Response:
    access.ensure_manage_members(principal, site)
    return _confirm_remove(request, session, site, membership_id)


@router.post("/sites/{site_id}/members/{membership_id}/remove")
def member_remove(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  site: SiteDep, membership_id: PathId, form: Form) -> Response:
    access.ensure_manage_members(principal, site)
    if form.get("confirm") != "yes":
        return _confirm_remove(request, session, site, membership_id)
    try:
        users.remove_membership(session, site=site, membership_id=membership_id,
                                principal=principal)
    except Conflict as exc:
        return _members_page(request, session, site, errors={"members": exc.message},
                             status=409)
    return RedirectResponse(f"/sites/{site.id}/members?removed=true", status_code=303)


@router.get("/sites/{site_id}/audit")
def site_audit(request: Request, session: SessionDep, principal: CurrentPrincipal,
               site: SiteDep, page: int = 1) -> Response:
    page = max(1, min(page, 100000))
    rows, total = audit.trail(session, principal=principal, site=site, page=page)
    return render(request, "audit/index.html", {
        "site": site, "events": rows, "total": total, "page": page,
        "names_hidden": not access.can_identify_raters(principal, site)})
