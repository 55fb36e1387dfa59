"""Consultancy days: a site's dated entries, the one way to add or remove one, and totals.

A site's days used is the sum of its entries (models/consultancy.py); passing the allocation
is allowed but shown wherever the days are. The project team records entries; everyone
who may see the site may read them.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from imroc import clock
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import ConsultancyEntry, LearningSet, Site, SiteKind, User
from imroc.models.consultancy import (
    CARRIED_PURPOSE,
    ConsultancyEntryIn,
    ConsultancyEntryPublic,
    ConsultancyPublic,
)
from imroc.models.user import GlobalRole
from imroc.services import audit
from imroc.services.access import Principal, ensure_record_consultancy

ENTRY_FIELDS = ("site_id", "delivered_on", "days", "purpose", "delivered_by_id",
                "delivered_by_name")


def _snapshot(entry: ConsultancyEntry) -> dict[str, Any]:
    out = audit.snapshot(entry, ENTRY_FIELDS)
    out["days"] = str(entry.days)  # a Decimal is not JSON
    return out


def over_allocation(site: Site) -> bool:
    """Whether the site has used more days than it was allocated."""
    return site.consultancy_days_used > site.consultancy_days_allocated


def over_rows(sites: list[Site], names: dict[int, str] | None = None,
              links: bool = True) -> list[tuple[str, Decimal, int, str | None]]:
    """The sites beyond their allocation, as a dashboard names them: name, used, allocated,
    and a link to their consultancy page (none when names are hidden)."""
    return [((names or {}).get(s.id, s.name), s.consultancy_days_used,
             s.consultancy_days_allocated, f"/sites/{s.id}/consultancy" if links else None)
            for s in sites if over_allocation(s)]


def project_team(session: Session) -> list[User]:
    """The people who can deliver consultancy: active members of the project team."""
    return list(session.exec(select(User).where(
        User.global_role == GlobalRole.programme_team, col(User.is_active).is_(True))
        .order_by(col(User.name))).all())


def list_entries(session: Session, *, site: Site) -> list[tuple[ConsultancyEntry, str]]:
    """The site's entries, oldest first, each with the name of who delivered it."""
    rows = session.exec(
        select(ConsultancyEntry, User.name)
        .join(User, col(User.id) == ConsultancyEntry.delivered_by_id, isouter=True)
        .where(ConsultancyEntry.site_id == site.id)
        .order_by(col(ConsultancyEntry.delivered_on), col(ConsultancyEntry.id))).all()
    return [(entry, name or entry.delivered_by_name) for entry, name in rows]


def public_entry(entry: ConsultancyEntry, delivered_by: str) -> ConsultancyEntryPublic:
    return ConsultancyEntryPublic(
        **entry.model_dump(exclude={"updated_at", "delivered_by_name"}),
        delivered_by=delivered_by, peer_trainer=entry.delivered_by_id is None)


def public_of(session: Session, entry: ConsultancyEntry) -> ConsultancyEntryPublic:
    person = session.get(User, entry.delivered_by_id) if entry.delivered_by_id else None
    return public_entry(entry, person.name if person else entry.delivered_by_name)


def summary(session: Session, *, site: Site) -> ConsultancyPublic:
    """The site's allocation, the days used and left, and every entry."""
    used = site.consultancy_days_used
    return ConsultancyPublic(
        site_id=site.id, allocated=site.consultancy_days_allocated, used=used,
        remaining=Decimal(site.consultancy_days_allocated) - used,
        over_allocation=over_allocation(site),
        entries=[public_entry(e, name) for e, name in list_entries(session, site=site)])


def entries_as_dicts(session: Session, *, site: Site) -> list[dict[str, Any]]:
    """The site's entries as plain values (for exports and the exchange document): who
    delivered each is an email for the project team, a name for a peer trainer."""
    rows = session.exec(
        select(ConsultancyEntry, User.email)
        .join(User, col(User.id) == ConsultancyEntry.delivered_by_id, isouter=True)
        .where(ConsultancyEntry.site_id == site.id)
        .order_by(col(ConsultancyEntry.delivered_on), col(ConsultancyEntry.id))).all()
    return [{"delivered_on": e.delivered_on, "days": e.days, "purpose": e.purpose,
             "delivered_by": email, "peer_trainer": None if email else e.delivered_by_name}
            for e, email in rows]


def _delivered_by(session: Session, data: ConsultancyEntryIn) -> None:
    if data.delivered_by_id is not None and data.delivered_by_name:
        raise Invalid({"delivered_by_name": "Leave the peer trainer's name blank when you "
                                            "select someone from the project team"})
    if data.delivered_by_id is None:
        if not data.delivered_by_name:
            raise Invalid({"delivered_by_id": "Select who from the project team delivered "
                                              "it, or enter the peer trainer's name"})
        return
    person = session.get(User, data.delivered_by_id)
    if (person is None or not person.is_active
            or person.global_role != GlobalRole.programme_team):
        raise Invalid({"delivered_by_id": "Select a person from the project team"})


def create_entry(session: Session, *, site: Site, data: ConsultancyEntryIn,
                 principal: Principal) -> ConsultancyEntry:
    """Record days of consultancy given to a site (the project team)."""
    ensure_record_consultancy(principal)
    _delivered_by(session, data)
    entry = ConsultancyEntry(site_id=site.id, recorded_by=principal.user.id,
                             **data.model_dump())
    session.add(entry)
    session.flush()
    audit.record(session, actor=principal.user, action="create", entity="consultancy_entry",
                 entity_id=entry.id, site_id=site.id, after=_snapshot(entry))
    session.commit()
    session.expire(site, ["consultancy_days_used"])
    return entry


def delete_entry(session: Session, *, site: Site, entry_id: int, version: int,
                 principal: Principal) -> None:
    """Take away an entry recorded in error (the project team); the version must be current."""
    ensure_record_consultancy(principal)
    entry = session.get(ConsultancyEntry, entry_id)
    if entry is None or entry.site_id != site.id:
        raise NotFound("No such consultancy entry for this site")
    if entry.version != version:
        raise Conflict("Someone else changed this entry: reload the page")
    audit.record(session, actor=principal.user, action="delete", entity="consultancy_entry",
                 entity_id=entry.id, site_id=site.id, before=_snapshot(entry))
    session.delete(entry)
    session.commit()
    session.expire(site, ["consultancy_days_used"])


def carry_over(session: Session, *, site: Site, days: Decimal | int, on: date | None,
               actor: User | None) -> ConsultancyEntry | None:
    """Days counted before dated entries (an import of an older file) kept as one entry,
    in the caller's transaction. Nothing for none."""
    if not days:
        return None
    entry = ConsultancyEntry(site_id=site.id, delivered_on=on or clock.today(),
                             days=Decimal(days), purpose=CARRIED_PURPOSE,
                             recorded_by=actor.id if actor else None)
    session.add(entry)
    session.flush()
    audit.record(session, actor=actor, action="import", entity="consultancy_entry",
                 entity_id=entry.id, site_id=site.id, after=_snapshot(entry))
    return entry


@dataclass
class Totals:
    """Days allocated and used, per kind of site, per learning set and for the programme."""

    by_kind: list[tuple[str, int, Decimal, int]] = field(default_factory=list)
    by_set: list[tuple[str, int, Decimal, int]] = field(default_factory=list)
    programme: tuple[int, Decimal, int] = (0, Decimal(0), 0)  # allocated, used, sites over


def totals(session: Session) -> Totals:
    """Consultancy totals over the sites in use (two queries, whatever the number of sites).
    Each row: name, days allocated, days used, sites beyond their allocation."""
    per_site = (select(ConsultancyEntry.site_id, func.sum(ConsultancyEntry.days).label("used"))
                .group_by(col(ConsultancyEntry.site_id)).subquery())
    used = func.coalesce(per_site.c.used, 0)
    sums = (func.sum(Site.consultancy_days_allocated), func.sum(used),
            func.sum(case((used > Site.consultancy_days_allocated, 1), else_=0)))
    live = col(Site.archived_at).is_(None)
    kinds = session.exec(
        select(SiteKind.label, *sums)
        .join(SiteKind, col(SiteKind.code) == Site.kind)
        .join(per_site, per_site.c.site_id == Site.id, isouter=True).where(live)
        .group_by(SiteKind.label, SiteKind.sort_order).order_by(col(SiteKind.sort_order))).all()
    sets = session.exec(
        select(LearningSet.name, *sums)
        .join(LearningSet, col(LearningSet.id) == Site.learning_set_id, isouter=True)
        .join(per_site, per_site.c.site_id == Site.id, isouter=True).where(live)
        .group_by(LearningSet.name).order_by(col(LearningSet.name))).all()
    out = Totals(by_kind=[_row(r) for r in kinds],
                 by_set=[_row(r, "No learning set") for r in sets])
    out.programme = (sum(r[1] for r in out.by_kind),
                     sum((r[2] for r in out.by_kind), Decimal(0)), sum(r[3] for r in out.by_kind))
    return out


def _row(row: Any, blank: str = "") -> tuple[str, int, Decimal, int]:
    name, allocated, used, over = row
    return (name or blank, int(allocated or 0), Decimal(used or 0), int(over or 0))
