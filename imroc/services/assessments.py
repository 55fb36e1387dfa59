"""Scores: members' own ratings, and the agreed consensus with sign-off (the facilitator's
view and feedback are in feedback.py)."""

from datetime import datetime

from sqlalchemy import bindparam, literal, union_all
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid
from imroc.models import (
    ConsensusScore,
    Cycle,
    Rating,
    Site,
)
from imroc.models.assessment import RatingsIn, ReopenIn, ScoresIn
from imroc.models.cycle import Stage
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import SiteRole
from imroc.services import audit, bulk, frameworks, notices
from imroc.services.access import (
    Principal,
    ensure_group_member,
    ensure_lead,
)


def scale_levels(session: Session, cycle: Cycle) -> list[int]:
    """The levels of the scale of the framework version this cycle uses."""
    return frameworks.scale_levels(session, cycle.framework_id)


def check_items(session: Session, cycle: Cycle, items: list, name: str, *,
                 dont_know: bool = False) -> None:
    """Refuse a challenge given twice and a level outside the scale. With dont_know, an item
    may instead say "don't know" (no level); without it, "don't know" is refused."""
    levels = set(scale_levels(session, cycle))
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item.challenge in seen:
            errors[f"{name}.{i}.challenge"] = f"Challenge {item.challenge} is given twice"
        seen.add(item.challenge)
        unknown = getattr(item, "dont_know", False)
        if unknown and not dont_know:
            errors[f"{name}.{i}.dont_know"] = (f"Give a level for challenge {item.challenge}: "
                                               "“don't know” is for members' own ratings")
        elif unknown and item.level is not None:
            errors[f"{name}.{i}.dont_know"] = (f"Challenge {item.challenge} has a level and "
                                               "“don't know”: send one or the other (level "
                                               "null with “don't know”)")
        elif unknown:
            continue
        elif item.level is None:
            errors[f"{name}.{i}.level"] = f"Give a level for challenge {item.challenge}" + (
                ", or say you don't know" if dont_know else "")
        elif frameworks.level_problem(levels, item.level):
            errors[f"{name}.{i}.level"] = (f"Level for challenge {item.challenge} must be one of "
                                           f"{', '.join(str(v) for v in sorted(levels))}")
    if errors:
        raise Invalid(errors)


def locked_reason(cycle: Cycle) -> str | None:
    """Why ratings and consensus can no longer change, or None while they can."""
    if cycle.stage != Stage.assess:
        return "The self-assessment of this cycle is finished: it can no longer change"
    if cycle.signed_off_at is not None:
        return ("The consensus has been signed off, so the assessment is locked. "
                "The lead can reopen it, giving a reason.")
    return None


def _ensure_open_assessment(cycle: Cycle) -> None:
    reason = locked_reason(cycle)
    if reason:
        raise Conflict(reason)


# --- individual ratings ------------------------------------------------------------------

DONT_KNOW = "Don't know"


def list_ratings(session: Session, *, cycle: Cycle) -> list[Rating]:
    return list(session.exec(select(Rating).where(Rating.cycle_id == cycle.id)
                             .order_by(col(Rating.challenge), col(Rating.rater_id))).all())


def answer(rating: Rating) -> int | str:
    """A rating's level, or "don't know" (as the audit trail and exports show it)."""
    return DONT_KNOW if rating.dont_know else rating.level


_RATED = ("level", "dont_know", "comment", "perspective", "updated_at")
_MY_RATINGS = select(Rating).where(Rating.cycle_id == bindparam("cycle_id"),
                                   Rating.rater_id == bindparam("rater_id"))


def my_ratings(session: Session, *, cycle: Cycle, principal: Principal) -> dict[int, Rating]:
    rows = session.exec(_MY_RATINGS, params={"cycle_id": cycle.id,
                                             "rater_id": principal.user.id}).all()
    return {r.challenge: r for r in rows}


def rater_state(session: Session, *, cycle: Cycle, principal: Principal
                ) -> tuple[dict[int, Rating], dict[int, int]]:
    """The caller's own ratings of this cycle and the levels agreed in the site's cycle
    before it, by challenge: what the rating page shows, in one statement."""
    mine = select(literal("mine").label("kind"), Rating.challenge, Rating.level,
                  Rating.dont_know, Rating.comment, Rating.perspective, Rating.updated_at).where(
        Rating.cycle_id == cycle.id, Rating.rater_id == principal.user.id)
    agreed = select(literal("agreed"), ConsensusScore.challenge, ConsensusScore.level,
                    literal(False), literal(""), literal(""), ConsensusScore.updated_at).join(
        Cycle, col(Cycle.id) == ConsensusScore.cycle_id).where(
        Cycle.site_id == cycle.site_id, Cycle.number == cycle.number - 1)
    ratings: dict[int, Rating] = {}
    previous: dict[int, int] = {}
    for kind, challenge, level, dont_know, comment, perspective, updated_at in session.exec(
            union_all(mine, agreed)).all():
        if kind == "mine":
            ratings[challenge] = Rating(cycle_id=cycle.id, rater_id=principal.user.id,
                                        challenge=challenge, level=level,
                                        dont_know=bool(dont_know), comment=comment,
                                        perspective=perspective, updated_at=updated_at)
        else:
            previous[challenge] = level
    return ratings, previous


def set_ratings(session: Session, *, cycle: Cycle, site: Site, data: RatingsIn,
                principal: Principal, at: datetime | None = None,
                mine: dict[int, Rating] | None = None) -> list[Rating]:
    """Save the caller's own ratings (a draft they can change until sign-off); `at` dates
    work recorded afterwards (now when omitted), as for every service taking it. `mine` is
    the caller's ratings as already read in this transaction (rater_state), if they were.

    The rows are written in one statement (insert, or update where the challenge is rated
    already), and the ratings returned are the ones now stored, without reading them again."""
    now = at or utcnow()
    ensure_group_member(principal, site)
    _ensure_open_assessment(cycle)
    check_items(session, cycle, data.ratings, "ratings", dont_know=True)
    perspective = principal.memberships[site.id].perspective
    existing = dict(mine if mine is not None else
                    my_ratings(session, cycle=cycle, principal=principal))
    before = {c: answer(r) for c, r in sorted(existing.items())}
    rows = [{"cycle_id": cycle.id, "rater_id": principal.user.id, "challenge": item.challenge,
             "level": None if item.dont_know else item.level, "dont_know": bool(item.dont_know),
             "comment": item.comment.strip(), "perspective": perspective, "updated_at": now}
            for item in data.ratings]
    bulk.upsert_rows(session, Rating, rows, keys=("cycle_id", "rater_id", "challenge"))
    for row in rows:
        stored = existing.get(row["challenge"])
        if stored is None:
            existing[row["challenge"]] = Rating(**row)
        else:  # as now stored; nothing left to write (ten new objects cost more than the save)
            for name in _RATED:
                set_committed_value(stored, name, row[name])
    audit.record(session, actor=principal.user, action="rate", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, before={"levels": before},
                 after={"levels": {r.challenge: answer(r) for r in existing.values()}}, at=now)
    session.commit()
    return sorted(existing.values(), key=lambda r: r.challenge)


# --- consensus -----------------------------------------------------------------------------

def sees_others(session: Session, *, cycle: Cycle, site: Site, principal: Principal) -> bool:
    """Whether this person may see everyone's ratings yet. A steering group member sees them
    once they have rated all ten challenges, or the lead has opened the consensus meeting,
    or the consensus is signed off: nobody anchors on others' scores before giving theirs."""
    if principal.role_at(site.id) != SiteRole.site_member:
        return True
    if cycle.meeting_opened_at is not None or cycle.signed_off_at is not None:
        return True
    return len(my_ratings(session, cycle=cycle, principal=principal)) >= len(CHALLENGE_NUMBERS)


def open_meeting(session: Session, *, cycle: Cycle, site: Site, principal: Principal) -> Cycle:
    """The lead opens the consensus meeting: from now on every member sees every rating."""
    ensure_lead(principal, site)
    _ensure_open_assessment(cycle)
    if cycle.meeting_opened_at is None:
        cycle.meeting_opened_at = utcnow()
        session.add(cycle)
        audit.record(session, actor=principal.user, action="open_meeting", entity="cycle",
                     entity_id=cycle.id, site_id=site.id)
        session.commit()
    return cycle


def list_consensus(session: Session, *, cycle: Cycle) -> list[ConsensusScore]:
    return list(session.exec(select(ConsensusScore).where(ConsensusScore.cycle_id == cycle.id)
                             .order_by(col(ConsensusScore.challenge))).all())


def set_consensus(session: Session, *, cycle: Cycle, site: Site, data: ScoresIn,
                  principal: Principal, at: datetime | None = None) -> list[ConsensusScore]:
    """The lead records the levels and rationale the group agreed."""
    now = at or utcnow()
    ensure_lead(principal, site)
    _ensure_open_assessment(cycle)
    check_items(session, cycle, data.scores, "scores")
    current = {s.challenge: s for s in list_consensus(session, cycle=cycle)}
    before = {c: {"level": s.level, "rationale": s.rationale} for c, s in current.items()}
    for item in data.scores:
        row = current.get(item.challenge) or ConsensusScore(cycle_id=cycle.id,
                                                            challenge=item.challenge, level=0)
        row.level, row.rationale = item.level, item.rationale.strip()
        row.to_reconfirm, row.updated_by, row.updated_at = False, principal.user.id, now
        session.add(row)
        current[item.challenge] = row
    audit.record(session, actor=principal.user, action="agree", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, before={"scores": before},
                 after={"scores": {c: {"level": s.level, "rationale": s.rationale}
                                   for c, s in current.items()}}, at=now)
    session.commit()
    return sorted(current.values(), key=lambda s: s.challenge)


def sign_off(session: Session, *, cycle: Cycle, site: Site, principal: Principal,
             at: datetime | None = None) -> Cycle:
    """Lock the assessment once every challenge has an agreed, confirmed level."""
    ensure_lead(principal, site)
    _ensure_open_assessment(cycle)
    scores = {s.challenge: s for s in list_consensus(session, cycle=cycle)}
    missing = [c for c in CHALLENGE_NUMBERS if c not in scores]
    unconfirmed = [c for c, s in scores.items() if s.to_reconfirm]
    if missing or unconfirmed:
        parts = []
        if missing:
            parts.append("agree a level for challenge " + ", ".join(map(str, missing)))
        if unconfirmed:
            parts.append("re-confirm last cycle's level for challenge "
                         + ", ".join(map(str, sorted(unconfirmed))))
        raise Conflict("The consensus cannot be signed off yet: " + "; and ".join(parts) + ".")
    cycle.signed_off_at, cycle.signed_off_by = at or utcnow(), principal.user.id
    cycle.version += 1
    session.add(cycle)
    audit.record(session, actor=principal.user, action="sign_off", entity="cycle",
                 entity_id=cycle.id, site_id=site.id,
                 after={"levels": {c: s.level for c, s in sorted(scores.items())}},
                 at=cycle.signed_off_at)
    notices.consensus_signed_off(session, cycle=cycle, site=site)
    session.commit()
    return cycle


def reopen(session: Session, *, cycle: Cycle, site: Site, data: ReopenIn,
           principal: Principal) -> Cycle:
    """Unlock a signed-off assessment; the reason is kept in the audit trail."""
    ensure_lead(principal, site)
    if cycle.signed_off_at is None:
        raise Conflict("The consensus is not signed off, so there is nothing to reopen")
    if cycle.stage != Stage.assess:
        raise Conflict("The cycle has moved on from the assessment; it can no longer be reopened")
    reason = data.reason.strip()
    if not reason:
        raise Invalid({"reason": "Enter the reason for reopening"})
    cycle.signed_off_at = cycle.signed_off_by = None
    cycle.version += 1
    session.add(cycle)
    audit.record(session, actor=principal.user, action="reopen", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, after={"reason": reason})
    session.commit()
    return cycle


# --- many at once (imports) -------------------------------------------------------------------
# Rows of cycles written in the same transaction, already checked against the cycle's scale.

def add_ratings(session: Session, rows: list[dict]) -> int:
    """Members' ratings: cycle_id, rater_id, perspective, challenge, level, comment."""
    return bulk.insert_rows(session, Rating, [{**r, "comment": r["comment"].strip()} for r in rows])


def add_scores(session: Session, rows: list[dict]) -> int:
    """Agreed levels: cycle_id, challenge, level, rationale (and who agreed, when known)."""
    return bulk.insert_rows(session, ConsensusScore,
                            [{**r, "rationale": r["rationale"].strip()} for r in rows])
