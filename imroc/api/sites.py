"""Sites over JSON."""


from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, SiteDep
from imroc.models.site import SiteCreate, SitePublic, SiteUpdate
from imroc.services import sites
from imroc.web.routing import Router

router = Router(tags=["sites"])


@router.get("/sites", response_model=list[SitePublic])
def list_sites(session: SessionDep, principal: CurrentPrincipal,
               include_archived: bool = False) -> list[SitePublic]:
    """The sites you may see."""
    return [sites.public(s) for s in sites.list_sites(session, principal=principal,
                                                      include_archived=include_archived)]


@router.post("/sites", response_model=SitePublic, status_code=201)
def create_site(data: SiteCreate, session: SessionDep, principal: CurrentPrincipal) -> SitePublic:
    """Add a site (programme team)."""
    return sites.public(sites.create_site(session, data=data, principal=principal))


@router.get("/sites/{site_id}", response_model=SitePublic)
def get_site(site: SiteDep) -> SitePublic:
    return sites.public(site)


@router.patch("/sites/{site_id}", response_model=SitePublic)
def update_site(data: SiteUpdate, site: SiteDep, session: SessionDep,
                principal: CurrentPrincipal) -> SitePublic:
    """Change a site; send the `version` you read to be told of concurrent changes (409)."""
    return sites.public(sites.update_site(session, site=site, data=data, principal=principal))
