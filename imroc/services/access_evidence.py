"""Who may add and remove evidence (beside access.py, which decides who sees the cycle).

Evidence is added by the steering group, each piece by whoever may change the thing it
backs: a member backs their own rating, the lead the agreed levels, the group its actions
and PDSA record. A piece is removed by whoever added it or by the lead. Whoever may see the
cycle may read its evidence, except other people's rating evidence for a member who has not
yet rated (services/evidence.py applies that rule with the ratings' own).
"""

from imroc.errors import Forbidden
from imroc.models import Site
from imroc.models.evidence import AttachedTo, Evidence
from imroc.services.access import Principal, ensure_view_site, is_group_member, is_lead


def can_add_evidence(p: Principal, site: Site, attached_to: str) -> bool:
    if attached_to == AttachedTo.consensus:
        return is_lead(p, site)
    return is_group_member(p, site)


def can_add_any_evidence(p: Principal, site: Site) -> bool:
    return is_group_member(p, site)


def ensure_add_evidence(p: Principal, site: Site, attached_to: str | None = None) -> None:
    """Only the steering group adds evidence; for an agreed level, only its lead."""
    ensure_view_site(p, site)
    if not can_add_any_evidence(p, site):
        raise Forbidden("Only members of this site's steering group can add evidence")
    if attached_to is not None and not can_add_evidence(p, site, attached_to):
        raise Forbidden("Only the steering group lead can add evidence for an agreed level")


def can_remove_evidence(p: Principal, site: Site, evidence: Evidence) -> bool:
    return is_lead(p, site) or (is_group_member(p, site) and evidence.added_by == p.user.id)


def ensure_remove_evidence(p: Principal, site: Site, evidence: Evidence) -> None:
    ensure_view_site(p, site)
    if not can_remove_evidence(p, site, evidence):
        raise Forbidden("Only the person who added this evidence, or the steering group lead, "
                        "can remove it")
