"""The exchange document's `consultancy` section: the site's dated consultancy entries.

Who delivered an entry is a project-team member's email, or a peer trainer's name. On
import a project-team email is matched to the person here; one that is not is kept as the
name of who delivered it, so nothing is lost. Entries the site already has (the same day,
days and purpose) are left as they are: an import only adds.
"""

from decimal import Decimal

from sqlmodel import Session, func, select

from imroc.models import ConsultancyEntry, Site, User
from imroc.models.user import GlobalRole
from imroc.services import audit, consultancy
from imroc.services.data_io.exchange_doc import ConsultancyDoc

KEY = "consultancy"


def export(session: Session, site: Site) -> list[dict]:
    """The site's entries, oldest first."""
    return [{**e, "days": float(e["days"])}
            for e in consultancy.entries_as_dicts(session, site=site)]


def _key(on, days, purpose: str) -> tuple:
    return on, Decimal(str(days)), purpose.strip()


def check(session: Session, docs: list[ConsultancyDoc], site_id: int | None, bad,
          **_context) -> list[dict]:
    """The entries to add, each with the project-team person it names when they are here."""
    emails = {e.delivered_by.lower() for e in docs if e.delivered_by}
    team = dict(session.exec(select(func.lower(User.email), User.id).where(
        func.lower(User.email).in_(sorted(emails) or [""]),
        User.global_role == GlobalRole.programme_team)).all())
    held = set()
    if site_id is not None:
        held = {_key(on, days, purpose) for on, days, purpose in session.exec(
            select(ConsultancyEntry.delivered_on, ConsultancyEntry.days,
                   ConsultancyEntry.purpose).where(ConsultancyEntry.site_id == site_id))}
    plan = []
    for i, e in enumerate(docs):
        if e.delivered_by and e.peer_trainer:
            bad(f"consultancy/{i}/peer_trainer", e.peer_trainer,
                "Give who delivered it once: a project-team email or a peer trainer's name")
            continue
        if _key(e.delivered_on, e.days, e.purpose) in held:
            continue
        by_id = team.get(e.delivered_by.lower()) if e.delivered_by else None
        plan.append({"delivered_on": e.delivered_on, "days": Decimal(str(e.days)),
                     "purpose": e.purpose.strip(), "delivered_by_id": by_id,
                     "delivered_by_name": "" if by_id else (e.peer_trainer or e.delivered_by
                                                             or "").strip()})
    return plan


def write(session: Session, site: Site, plan: list[dict], actor: User | None) -> int:
    """Add the entries; returns how many were added."""
    entries = [ConsultancyEntry(site_id=site.id, recorded_by=actor.id if actor else None, **p)
               for p in plan]
    session.add_all(entries)
    session.flush()
    if entries:
        audit.record(session, actor=actor, action="import", entity="site", entity_id=site.id,
                     site_id=site.id, after={"consultancy_entries": len(entries),
                                             "days": str(sum(e.days for e in entries))})
    session.expire(site, ["consultancy_days_used"])
    return len(entries)

