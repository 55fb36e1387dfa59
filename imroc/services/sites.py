"""Sites: listing what a person may see, creating, editing, archiving, moving sets."""

from datetime import date

from sqlmodel import Session, col, select

from imroc import clock
from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid
from imroc.models import LearningSet, Site, SiteKind, SiteLearningSet, User
from imroc.models.site import SiteCreate, SitePublic, SiteUpdate
from imroc.services import audit
from imroc.services.access import Principal, ensure_manage_sites, ensure_view_site
from imroc.services.access_search import sites_visible
from imroc.validation import field_label

SITE_FIELDS = ("name", "organisation", "kind", "learning_set_id", "region", "joined_on",
               "consultancy_days_allocated", "archived_at")
REQUIRED_ON_UPDATE = ("name", "kind", "consultancy_days_allocated")


def public(site: Site) -> SitePublic:
    return SitePublic(**site.model_dump(exclude={"archived_at"}), archived=site.archived_at is not None,
                      consultancy_days_used=site.consultancy_days_used)


def list_kinds(session: Session) -> list[SiteKind]:
    return list(session.exec(select(SiteKind).order_by(col(SiteKind.sort_order))).all())


def list_sites(
    session: Session, *, principal: Principal, include_archived: bool = False
) -> list[Site]:
    """The sites this person may see, by name, in one query."""
    query = select(Site).order_by(col(Site.name))
    if not include_archived:
        query = query.where(col(Site.archived_at).is_(None))
    return list(session.exec(query.where(sites_visible(principal))).all())


def get_site(session: Session, *, site_id: int, principal: Principal) -> Site:
    """A site the person may see (404 otherwise)."""
    return ensure_view_site(principal, session.get(Site, site_id))


def _check_references(session: Session, *, kind: str | None, learning_set_id: int | None,
                      name: str | None, site_id: int | None) -> SiteKind | None:
    errors: dict[str, str] = {}
    found_kind = None
    if kind is not None:
        found_kind = session.get(SiteKind, kind)
        if found_kind is None:
            errors["kind"] = "Select a kind of site from the list"
    if learning_set_id is not None:
        ls = session.get(LearningSet, learning_set_id)
        if ls is None or ls.archived_at is not None:
            errors["learning_set_id"] = "Select a learning set from the list"
    if name is not None:
        clash = session.exec(select(Site.id).where(Site.name == name.strip())).first()
        if clash is not None and clash != site_id:
            errors["name"] = "Another site already has this name"
    if errors:
        raise Invalid(errors)
    return found_kind


def _join_set(session: Session, site: Site, learning_set_id: int | None, today: date) -> None:
    open_rows = session.exec(select(SiteLearningSet).where(
        SiteLearningSet.site_id == site.id, col(SiteLearningSet.left_on).is_(None))).all()
    for row in open_rows:
        row.left_on = today
        session.add(row)
    if learning_set_id is None:
        return
    # Back to a set it joined earlier the same day: reopen that period (one row per day).
    same_day = session.exec(select(SiteLearningSet).where(
        SiteLearningSet.site_id == site.id, SiteLearningSet.learning_set_id == learning_set_id,
        SiteLearningSet.joined_on == today)).first()
    if same_day is not None:
        same_day.left_on = None
        session.add(same_day)
    else:
        session.add(SiteLearningSet(site_id=site.id, learning_set_id=learning_set_id,
                                    joined_on=today))


def create_site(session: Session, *, data: SiteCreate, principal: Principal) -> Site:
    """Add a site; consultancy days default from its kind."""
    ensure_manage_sites(principal)
    site = add_site(session, data=data, actor=principal.user)
    session.commit()
    return site


def add_site(session: Session, *, data: SiteCreate, actor: User | None,
             action: str = "create", uid: str | None = None) -> Site:
    """The one way a site comes to be: its rules, its learning-set period and its audit row,
    in the caller's transaction (the caller has checked who may, and commits)."""
    kind = _check_references(session, kind=data.kind, learning_set_id=data.learning_set_id,
                             name=data.name, site_id=None)
    values = data.model_dump(exclude={"consultancy_days_used"})
    values["name"] = data.name.strip()
    if values["consultancy_days_allocated"] is None:
        values["consultancy_days_allocated"] = kind.default_consultancy_days if kind else 0
    site = Site(**values) if uid is None else Site(**values, uid=uid)  # uid: kept by imports
    session.add(site)
    session.flush()
    _join_set(session, site, site.learning_set_id, data.joined_on or clock.today())
    audit.record(session, actor=actor, action=action, entity="site",
                 entity_id=site.id, site_id=site.id, after=audit.snapshot(site, SITE_FIELDS))
    return site


def update_site(session: Session, *, site: Site, data: SiteUpdate, principal: Principal) -> Site:
    """Change a site's details, archive or restore it, or move it to another learning set."""
    ensure_manage_sites(principal)
    if data.version is not None and data.version != site.version:
        raise Conflict("Someone else changed this site while you were editing it",
                       current=public(site))
    changes = data.model_dump(exclude_unset=True,
                              exclude={"version", "archived", "consultancy_days_used"})
    missing = {name: f"Enter {field_label(name)}" for name in REQUIRED_ON_UPDATE
               if name in changes and changes[name] is None}
    if missing:
        raise Invalid(missing)
    for optional in ("organisation", "region"):
        if optional in changes and changes[optional] is None:
            changes[optional] = ""
    _check_references(session, kind=changes.get("kind"),
                      learning_set_id=changes.get("learning_set_id"),
                      name=changes.get("name"), site_id=site.id)
    before = audit.snapshot(site, SITE_FIELDS)
    moved = "learning_set_id" in changes and changes["learning_set_id"] != site.learning_set_id
    for key, value in changes.items():
        setattr(site, key, value.strip() if isinstance(value, str) else value)
    if data.archived is not None:
        site.archived_at = (site.archived_at or utcnow()) if data.archived else None
    if moved:
        _join_set(session, site, site.learning_set_id, clock.today())
    after = audit.snapshot(site, SITE_FIELDS)
    if after == before:
        return site
    site.version += 1
    site.updated_at = utcnow()
    session.add(site)
    action = "archive" if data.archived and not before["archived_at"] else "update"
    audit.record(session, actor=principal.user, action=action, entity="site",
                 entity_id=site.id, site_id=site.id, before=before, after=after)
    session.commit()
    return site


def learning_set_history(session: Session, *, site: Site) -> list[tuple[SiteLearningSet, str]]:
    """Every learning set the site has belonged to, oldest first, with the set's name."""
    rows = session.exec(
        select(SiteLearningSet, LearningSet.name)
        .join(LearningSet, col(LearningSet.id) == SiteLearningSet.learning_set_id)
        .where(SiteLearningSet.site_id == site.id)
        .order_by(col(SiteLearningSet.joined_on), col(SiteLearningSet.id))
    ).all()
    return [(row, name) for row, name in rows]


def actor_name(user: User | None) -> str:
    return user.name if user else "System"
