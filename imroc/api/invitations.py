"""Invitations over JSON: the message goes after the answer."""

from fastapi import BackgroundTasks

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, SiteDep
from imroc.models.invitation import InvitationIn, InvitationPublic, SiteInvitationIn
from imroc.services import access, invitations, mail
from imroc.web.routing import Router

router = Router(tags=["invitations"])


@router.post("/sites/{site_id}/invitations", response_model=InvitationPublic, status_code=201)
def invite_to_site(data: SiteInvitationIn, site: SiteDep, session: SessionDep,
                   principal: CurrentPrincipal, background: BackgroundTasks) -> InvitationPublic:
    """Invite someone to the site's steering group by e-mail (its lead, the programme team)."""
    inv, mail_id = invitations.invite_to_site(session, site=site, principal=principal, data=data)
    background.add_task(mail.deliver, ids=[mail_id])
    return invitations.public(inv)


@router.get("/sites/{site_id}/invitations", response_model=list[InvitationPublic])
def site_invitations(site: SiteDep, session: SessionDep,
                     principal: CurrentPrincipal) -> list[InvitationPublic]:
    """The site's invitations not yet accepted or withdrawn."""
    access.ensure_manage_members(principal, site)
    return [invitations.public(i) for i in invitations.list_for_site(session, site=site)]


@router.post("/invitations", response_model=InvitationPublic, status_code=201)
def invite(data: InvitationIn, session: SessionDep, principal: CurrentPrincipal,
           background: BackgroundTasks) -> InvitationPublic:
    """Invite a facilitator (programme team), or someone to the programme team or the
    administrators (administrators)."""
    inv, mail_id = invitations.invite(session, principal=principal, data=data)
    background.add_task(mail.deliver, ids=[mail_id])
    return invitations.public(inv)
