"""What an import will write, and the one function that writes it, in one transaction.

Both readers (spreadsheets in import_rows.py, the JSON exchange document in exchange_in.py)
turn a file into a Plan; nothing is written until the whole file has been checked. An
import only adds: new sites, new cycles of existing sites, new people. It never changes or
overwrites anything already recorded.

People met in a file (raters, facilitators, feedback authors) are matched to accounts by
email. Someone with no account gets one with no usable password: an administrator gives
them one before they can sign in. A rater who is not yet a member of the site becomes a
steering group member with the perspective they rated from.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from imroc.errors import Conflict
from imroc.models import (
    Action,
    Cycle,
    LearningSet,
    Meeting,
    Membership,
    Site,
    User,
)
from imroc.models.site import LearningSetCreate, SiteCreate
from imroc.services import (
    actions,
    assessments,
    audit,
    consultancy,
    feedback,
    learning_sets,
    priorities,
    set_history,
    sites,
)
from imroc.services import users as users_service
from imroc.services.data_io.exchange_sections import SECTIONS

# No argon2 hash looks like this, so no password can ever match it.
NO_PASSWORD = "!imported: no password set"
CHUNK = 500


@dataclass
class Problem:
    """One thing wrong with a file: where (table, row, column), the value, and why."""

    table: str
    row: int | None
    column: str
    value: str
    message: str


@dataclass
class CyclePlan:
    number: int
    framework_id: int
    stage: str
    started_on: date
    review_due_on: date | None = None
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None      # email
    closed_at: datetime | None = None
    meeting: tuple[date, str] | None = None
    pdsa: dict[str, str] = field(default_factory=dict)
    ratings: list[dict] = field(default_factory=list)       # rater = email
    consensus: list[dict] = field(default_factory=list)
    facilitator_ratings: list[dict] = field(default_factory=list)
    priorities: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)       # carried_from = (cycle, number)
    feedback: list[dict] = field(default_factory=list)      # author = email


@dataclass
class SitePlan:
    name: str                                               # as the file names it
    existing_id: int | None = None
    uid: str | None = None                                  # a new site keeps the file's
    existing_name: str | None = None
    matched_by: str | None = None                           # "uid" or "name"
    details: dict[str, Any] = field(default_factory=dict)   # for a new site
    learning_set: str | None = None
    cycles: dict[int, CyclePlan] = field(default_factory=dict)
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> role, perspective
    notes: list[str] = field(default_factory=list)          # what the dry run should say
    sections: dict[str, Any] = field(default_factory=dict)  # exchange_sections, by KEY


@dataclass
class Plan:
    sites: dict[str, SitePlan] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)              # email -> name
    learning_sets: dict[str, dict] = field(default_factory=dict)      # name -> region, facilitators

    def counts(self) -> dict[str, int]:
        cycles = [c for s in self.sites.values() for c in s.cycles.values()]
        return {
            "sites": sum(1 for s in self.sites.values() if s.existing_id is None),
            "cycles": len(cycles),
            "ratings": sum(len(c.ratings) for c in cycles),
            "consensus": sum(len(c.consensus) for c in cycles),
            "priorities": sum(len(c.priorities) for c in cycles),
            "actions": sum(len(c.actions) for c in cycles),
        } | ({"values": values} if (values := sum(
            len(m["doc"].values) for s in self.sites.values()
            for m in s.sections.get("measures", []))) else {}) | (
            {"progress_scores": scored} if (scored := sum(
                len(s.sections.get("progress_scores", [])) for s in self.sites.values()))
            else {}) | (
            {"shared_changes": shared} if (shared := sum(
                len(s.sections.get("shared_changes", [])) for s in self.sites.values()))
            else {})


def users_by_email(session: Session, emails: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    ordered = sorted(emails)
    for i in range(0, len(ordered), CHUNK):
        for u in session.exec(select(User).where(col(User.email).in_(ordered[i:i + CHUNK]))):
            found[u.email] = u
    return found


def write(session: Session, plan: Plan, *, actor: User | None,
          progress: Callable[[int], None] | None = None) -> None:
    """Write the plan and its audit trail, then commit once (all or nothing)."""
    tick = progress or (lambda _n: None)
    try:
        users = _people(session, plan, actor)
        set_ids = _learning_sets(session, plan, users, actor)
        for site_plan in plan.sites.values():
            _site(session, site_plan, set_ids, users, actor)
            tick(1)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Something in the file was recorded by someone else while it was "
                       "being imported. Nothing was imported; check the file and try again") \
            from None
    except BaseException:
        session.rollback()
        raise


def _learning_sets(session: Session, plan: Plan, users: dict[str, User],
                   actor: User | None) -> dict[str, int]:
    ids = dict((n, i) for i, n in session.exec(select(LearningSet.id, LearningSet.name)))
    for name, info in plan.learning_sets.items():
        if name not in ids:
            ids[name] = learning_sets.add_learning_set(session, actor=actor, action="import",
                                                       data=LearningSetCreate(
                name=name, region=info.get("region", ""),
                facilitator_ids=[users[e].id for e in info.get("facilitators", [])])).id
    return ids


def _people(session: Session, plan: Plan, actor: User | None) -> dict[str, User]:
    """Everyone the file names, by email: existing accounts, and new ones with no usable
    password (an administrator gives them one)."""
    users = users_by_email(session, set(plan.people))
    for email, name in sorted(plan.people.items()):
        if email not in users:
            users[email] = users_service.add_user(session, email=email, name=name,
                                                  password_hash=NO_PASSWORD, actor=actor,
                                                  action="import")
    return users


def _site(session: Session, sp: SitePlan, set_ids: dict[str, int], users: dict[str, User],
          actor: User | None) -> None:
    if sp.existing_id is None:
        details = dict(sp.details)
        days_used = details.pop("consultancy_days_used", 0)
        site = sites.add_site(session, actor=actor, action="import", uid=sp.uid,
                              data=SiteCreate(
            name=sp.name, learning_set_id=set_ids.get(sp.learning_set or ""), **details))
        # Files from before dated entries count days used: they become one entry.
        consultancy.carry_over(session, site=site, days=days_used or 0,
                               on=site.joined_on, actor=actor)
    else:
        site = session.get(Site, sp.existing_id)
    members = set(session.exec(select(Membership.user_id).where(
        Membership.site_id == site.id)).all())
    added = 0
    for email, (role, perspective) in sp.members.items():
        if users[email].id not in members:
            users_service.add_member(session, site_id=site.id, user_id=users[email].id,
                                     role=role, perspective=perspective, actor=actor,
                                     action="import")
            added += 1
    counts = _cycles(session, site, sp, users, actor)
    for section in SECTIONS:
        if section.KEY in sp.sections:
            counts[section.KEY] = section.write(session, site, sp.sections[section.KEY], actor)
    audit.record(session, actor=actor, action="import", entity="site", entity_id=site.id,
                 site_id=site.id, after={**counts, "members_added": added})


def _cycles(session: Session, site: Site, sp: SitePlan, users: dict[str, User],
            actor: User | None) -> dict[str, int]:
    made: dict[int, Cycle] = {}
    meetings: dict[int, dict] = {}  # learning set id -> (held on, title) -> meeting id
    for number, cp in sorted(sp.cycles.items()):
        # The cycle belongs to the set the site was in when it ran, and so does its meeting.
        set_id = set_history.set_on(session, site=site, on=cp.started_on)
        meeting_id = None
        if cp.meeting and set_id:
            if set_id not in meetings:
                meetings[set_id] = {(m.held_on, m.title): m.id for m in session.exec(
                    select(Meeting).where(Meeting.learning_set_id == set_id))}
            meeting_id = meetings[set_id].get(cp.meeting)
            if meeting_id is None:
                meeting_id = meetings[set_id][cp.meeting] = learning_sets.add_meeting(
                    session, learning_set_id=set_id, held_on=cp.meeting[0],
                    title=cp.meeting[1], actor=actor, action="import").id
        made[number] = Cycle(
            site_id=site.id, number=number, framework_id=cp.framework_id, stage=cp.stage,
            started_on=cp.started_on, review_due_on=cp.review_due_on, meeting_id=meeting_id,
            learning_set_id=set_id,
            signed_off_at=cp.signed_off_at, closed_at=cp.closed_at,
            signed_off_by=users[cp.signed_off_by].id if cp.signed_off_by else None, **cp.pdsa)
    session.add_all(made.values())
    session.flush()
    ratings, scores, facilitator, chosen, notes = [], [], [], [], []
    for number, cp in sp.cycles.items():
        cid = made[number].id
        ratings += [{**r, "cycle_id": cid, "rater_id": users[r["rater"]].id} for r in cp.ratings]
        scores += [{**s, "cycle_id": cid} for s in cp.consensus]
        facilitator += [{**r, "cycle_id": cid, "rater_id": users[r["rater"]].id}
                        for r in cp.facilitator_ratings]
        chosen += [{**p, "cycle_id": cid} for p in cp.priorities]
        notes += [{**f, "cycle_id": cid, "author_id": users[f["author"]].id}
                     for f in cp.feedback]
    counts = {"ratings": assessments.add_ratings(session, ratings),
              "consensus": assessments.add_scores(session, scores),
              "priorities": priorities.add_priorities(session, chosen)}
    feedback.add_facilitator_ratings(session, facilitator)
    feedback.add_feedback(session, notes)
    added_actions = _actions(session, sp, made)
    return {"cycles": len(made), **counts, "actions": added_actions}


def _actions(session: Session, sp: SitePlan, made: dict[int, Cycle]) -> int:
    placed: dict[tuple[int, int], Action] = {}
    for number, cp in sorted(sp.cycles.items()):
        for a in sorted(cp.actions, key=lambda a: a["number"]):
            # Added in order (cycle, number), so ids, and with them the plan's order, follow it.
            placed[(number, a["number"])] = actions.add_action(
                session, cycle_id=made[number].id, challenge=a["challenge"], title=a["title"],
                owner=a["owner"], due_on=a["due_on"], status=a["status"],
                outcome=a["outcome"], notes=a["notes"])
    session.flush()
    for number, cp in sp.cycles.items():
        for a in cp.actions:
            if a.get("carried_from"):
                placed[(number, a["number"])].carried_from_id = placed[a["carried_from"]].id
    session.flush()
    return len(placed)
