"""Who may see and share changes that worked (beside access.py, which decides the rest).

A change shared with a learning set: the people of that set's sites, its facilitators and
the programme team. A change shared with the programme: everyone signed in with a role.
The sharing site's own people always see it, and only they see its name when the lead
asked for it not to be shown. Sharing is for the site's lead; trying a change is for the
steering group of the site whose cycle it goes into (services/actions.py decides).
"""

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, col

from imroc.errors import NotFound
from imroc.models import SharedChange, Site
from imroc.services import access
from imroc.services.access import Principal
from imroc.services.access_discussion import member_set_ids


def has_role(p: Principal) -> bool:
    """Someone with a site, a learning set or a programme role (not yet given access)."""
    return bool(p.memberships or p.facilitated_set_ids or p.user.global_role)


def set_ids(session: Session, p: Principal) -> frozenset[int]:
    """The learning sets whose shared changes the person sees (one query)."""
    return p.facilitated_set_ids | member_set_ids(session, p)


def is_insider(p: Principal, change: SharedChange) -> bool:
    """One of the sharing site's own people: they always see that the change is theirs."""
    return change.site_id in p.memberships


def can_view_change(session: Session, p: Principal, change: SharedChange | None) -> bool:
    if change is None:
        return False
    if is_insider(p, change):
        return True
    if change.withdrawn_at is not None:
        return False
    if p.is_programme:
        return True
    if change.scope == "programme":
        return has_role(p)
    return change.learning_set_id is not None and change.learning_set_id in set_ids(session, p)


def ensure_view_change(session: Session, p: Principal,
                       change: SharedChange | None) -> SharedChange:
    if not can_view_change(session, p, change):
        raise NotFound("Shared change not found")
    return change


def visible(session: Session, p: Principal) -> ColumnElement[bool]:
    """The SQL condition for the shared changes in the person's library (withdrawn ones
    left out)."""
    shown = col(SharedChange.withdrawn_at).is_(None)
    if p.is_programme:
        return shown
    if not has_role(p):
        return false()
    own = col(SharedChange.site_id).in_(list(p.memberships)) if p.memberships else false()
    sets = set_ids(session, p)
    in_set = and_(SharedChange.scope == "learning_set",
                  col(SharedChange.learning_set_id).in_(list(sets))) if sets else false()
    return and_(shown, or_(own, SharedChange.scope == "programme", in_set))


def shows_site(p: Principal, change: SharedChange) -> bool:
    """Whether the person sees which site shared the change."""
    return not change.anonymised or is_insider(p, change)


def can_share(p: Principal, site: Site) -> bool:
    """A site's lead shares its changes (for the steering group)."""
    return access.is_lead(p, site)


def ensure_share(p: Principal, site: Site) -> None:
    access.ensure_lead(p, site)
