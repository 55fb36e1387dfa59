"""The one place that decides who may see or do what.

A thing the person may not see is reported as not found (404), so that ids of other
sites leak nothing; a thing they may see but not change is forbidden (403).
"""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from imroc.errors import Forbidden, NotFound
from imroc.models import LearningSet, LearningSetFacilitator, Membership, Site, User
from imroc.models.user import GlobalRole, SiteRole


@dataclass(frozen=True)
class Principal:
    """A signed-in person with everything access decisions need, loaded once per request."""

    user: User
    memberships: dict[int, Membership] = field(default_factory=dict)
    facilitated_set_ids: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.user.global_role == GlobalRole.admin

    @property
    def is_programme(self) -> bool:
        """Programme team and administrators see the whole programme."""
        return self.user.global_role in (GlobalRole.programme_team, GlobalRole.admin)

    @property
    def is_facilitator(self) -> bool:
        return bool(self.facilitated_set_ids)

    def role_at(self, site_id: int) -> str | None:
        membership = self.memberships.get(site_id)
        return membership.role if membership else None

    @property
    def roles(self) -> list[str]:
        """Every role the person holds, for navigation and display."""
        roles = sorted({m.role for m in self.memberships.values()})
        if self.is_facilitator:
            roles.append("facilitator")
        if self.user.global_role:
            roles.append(self.user.global_role)
        return roles


def load_principal(session: Session, user: User) -> Principal:
    """Read a user's memberships and facilitated learning sets (two queries)."""
    memberships = session.exec(select(Membership).where(Membership.user_id == user.id)).all()
    set_ids = session.exec(
        select(LearningSetFacilitator.learning_set_id).where(
            LearningSetFacilitator.user_id == user.id
        )
    ).all()
    return Principal(
        user=user,
        memberships={m.site_id: m for m in memberships},
        facilitated_set_ids=frozenset(set_ids),
    )


# --- sites -------------------------------------------------------------------------------

def can_view_site(p: Principal, site: Site) -> bool:
    return (
        p.is_programme
        or site.id in p.memberships
        or (site.learning_set_id is not None and site.learning_set_id in p.facilitated_set_ids)
    )


def ensure_view_site(p: Principal, site: Site | None) -> Site:
    """The site, or 404 when it does not exist or the person may not see it."""
    if site is None or not can_view_site(p, site):
        raise NotFound("Site not found")
    return site


def can_manage_sites(p: Principal) -> bool:
    """Create sites, edit their details, archive them, move them between learning sets."""
    return p.is_programme


def ensure_manage_sites(p: Principal) -> None:
    if not can_manage_sites(p):
        raise Forbidden("Only the programme team can change sites")


def can_manage_members(p: Principal, site: Site) -> bool:
    return p.is_programme or p.role_at(site.id) == SiteRole.site_lead


def ensure_manage_members(p: Principal, site: Site) -> None:
    ensure_view_site(p, site)
    if not can_manage_members(p, site):
        raise Forbidden("Only the steering group lead can manage this site's members")


def can_read_audit(p: Principal, site: Site | None) -> bool:
    """Administrators read everything; a site's trail is read by its lead, the programme
    team and the facilitators of its learning set (who see its raters only as Rater 1, 2...,
    as in exports: `can_identify_raters`)."""
    if p.is_admin:
        return True
    return site is not None and (p.is_programme or p.role_at(site.id) == SiteRole.site_lead
                                 or is_site_facilitator(p, site))


def ensure_read_audit(p: Principal, site: Site | None) -> None:
    if site is not None:
        ensure_view_site(p, site)
    if not can_read_audit(p, site):
        raise Forbidden("You cannot read this audit trail")


# --- learning sets -----------------------------------------------------------------------

def can_view_learning_set(p: Principal, ls: LearningSet) -> bool:
    return p.is_programme or ls.id in p.facilitated_set_ids


def ensure_view_learning_set(p: Principal, ls: LearningSet | None) -> LearningSet:
    if ls is None or not can_view_learning_set(p, ls):
        raise NotFound("Learning set not found")
    return ls


def ensure_manage_learning_sets(p: Principal) -> None:
    if not p.is_programme:
        raise Forbidden("Only the programme team can change learning sets")


def ensure_add_meeting(p: Principal, ls: LearningSet) -> None:
    """The programme team and the set's own facilitators record its meetings."""
    ensure_view_learning_set(p, ls)
    if not (p.is_programme or ls.id in p.facilitated_set_ids):
        raise Forbidden("You cannot add meetings to this learning set")


# --- people --------------------------------------------------------------------------------

def ensure_admin(p: Principal) -> None:
    if not p.is_admin:
        raise Forbidden("Only an administrator can do this")


def ensure_read_people(p: Principal) -> None:
    """Administrators and the programme team look people up; only administrators change them."""
    if not p.is_programme:
        raise Forbidden("Only administrators and the programme team can look people up")


# --- cycles --------------------------------------------------------------------------------

def is_group_member(p: Principal, site: Site) -> bool:
    """Members and leads of the site's steering group rate, write the plan and update actions."""
    return p.role_at(site.id) in (SiteRole.site_member, SiteRole.site_lead)


def ensure_group_member(p: Principal, site: Site) -> None:
    ensure_view_site(p, site)
    if not is_group_member(p, site):
        raise Forbidden("Only members of this site's steering group can do this")


def is_lead(p: Principal, site: Site) -> bool:
    """Leads open cycles, agree the consensus, sign off, set priorities and move stages on."""
    return p.role_at(site.id) == SiteRole.site_lead


def ensure_lead(p: Principal, site: Site) -> None:
    ensure_view_site(p, site)
    if not is_lead(p, site):
        raise Forbidden("Only the steering group lead can do this")


def is_site_facilitator(p: Principal, site: Site) -> bool:
    return site.learning_set_id is not None and site.learning_set_id in p.facilitated_set_ids


def ensure_facilitator(p: Principal, site: Site) -> None:
    """A facilitator of the site's learning set gives their own rating."""
    ensure_view_site(p, site)
    if not is_site_facilitator(p, site):
        raise Forbidden("Only a facilitator of this site's learning set can do this")


def can_link_meeting(p: Principal, site: Site, cycle) -> bool:
    """The lead, a facilitator of the learning set the cycle runs in and the programme team
    tie a cycle to one of that set's meetings (or change or remove the link)."""
    return (p.is_programme or is_lead(p, site)
            or (cycle.learning_set_id is not None
                and cycle.learning_set_id in p.facilitated_set_ids))


def ensure_link_meeting(p: Principal, site: Site, cycle) -> None:
    ensure_view_site(p, site)
    if not can_link_meeting(p, site, cycle):
        raise Forbidden("Only the steering group lead, the learning set's facilitators and the "
                        "programme team can tie this cycle to a meeting")


def can_give_progress_score(p: Principal, site: Site, cycle, giver: str) -> bool:
    """The site's progress score is given by its lead (for the steering group); the
    facilitator's by a facilitator of the learning set the cycle ran in."""
    if giver == "site":
        return is_lead(p, site)
    return cycle.learning_set_id is not None and cycle.learning_set_id in p.facilitated_set_ids


def ensure_give_progress_score(p: Principal, site: Site, cycle, giver: str) -> None:
    ensure_view_site(p, site)
    if not can_give_progress_score(p, site, cycle, giver):
        raise Forbidden("Only the steering group lead gives the site's progress score"
                        if giver == "site" else
                        "Only a facilitator of the learning set this cycle ran in gives the "
                        "facilitator's progress score")


def can_give_feedback(p: Principal, site: Site) -> bool:
    """Facilitators of the site's learning set and the programme team give feedback."""
    return is_site_facilitator(p, site) or p.is_programme


def ensure_feedback(p: Principal, site: Site) -> None:
    ensure_view_site(p, site)
    if not can_give_feedback(p, site):
        raise Forbidden("Only facilitators and the programme team can give feedback")


def can_read_feedback(p: Principal, site: Site) -> bool:
    """Feedback on a site's cycles is read by everyone who may see the site (as on the
    cycle's facilitator page), so it also appears in the site's printed report."""
    return can_view_site(p, site)


# --- reports -------------------------------------------------------------------------------

def ensure_site_report(p: Principal, site: Site | None) -> Site:
    """A site's printable report: whoever may see the site's dashboard."""
    return ensure_view_site(p, site)


def ensure_learning_set_report(p: Principal, ls: LearningSet | None) -> LearningSet:
    """A learning set's printable report: whoever may see the set's dashboard (its
    facilitators and the programme team)."""
    return ensure_view_learning_set(p, ls)


# --- measures ------------------------------------------------------------------------------

def can_manage_measure(p: Principal, site: Site | None) -> bool:
    """The programme team defines core measures; a site's lead (or the team) its local ones."""
    return p.is_programme or (site is not None and is_lead(p, site))


def ensure_manage_measure(p: Principal, site: Site | None) -> None:
    if site is not None:
        ensure_view_site(p, site)
    if not can_manage_measure(p, site):
        raise Forbidden("Only the programme team can change core measures" if site is None
                        else "Only the steering group lead can change this site's measures")


def ensure_manage_reference(p: Principal) -> None:
    """National reference values (a survey's results) are kept by the programme team."""
    if not p.is_programme:
        raise Forbidden("Only the programme team can change national reference values")


def ensure_enter_data(p: Principal, site: Site) -> None:
    """Members and leads of the site's steering group enter and correct its values."""
    ensure_view_site(p, site)
    if not is_group_member(p, site):
        raise Forbidden("Only members of this site's steering group can enter its values")


# --- exports and imports ------------------------------------------------------------------

def can_identify_raters(p: Principal, site: Site) -> bool:
    """Raters' names and emails go to those who see the steering group's member list."""
    return can_manage_members(p, site)


def ensure_export_programme(p: Principal) -> None:
    if not p.is_programme:
        raise Forbidden("Only the programme team can export the whole programme")


def ensure_exchange_export(p: Principal, site: Site) -> None:
    """The exchange document names every rater, so it goes to those who may see them."""
    ensure_view_site(p, site)
    if not can_identify_raters(p, site):
        raise Forbidden("Only the steering group lead and the programme team can export the "
                        "exchange document, because it names the people who rated")


def ensure_import(p: Principal) -> None:
    if not p.is_programme:
        raise Forbidden("Only administrators and the programme team can import data")


def can_record_consultancy(p: Principal) -> bool:
    """The project team records consultancy days; whoever sees a site may read them."""
    return p.is_programme


def ensure_record_consultancy(p: Principal) -> None:
    if not can_record_consultancy(p):
        raise Forbidden("Only the programme team can record consultancy days")
