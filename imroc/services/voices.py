"""Whose voices are in the scores: the perspectives not heard on each challenge, and who has
not rated yet. A "don't know" is an answer: it counts as heard, never as a level."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from imroc.models import Cycle, Membership, Rating, User
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import Perspective

ORDER = [p.value for p in Perspective]


def _ordered(perspectives: set[str]) -> list[str]:
    return sorted(perspectives, key=lambda p: (ORDER.index(p) if p in ORDER else len(ORDER), p))


def heard(session: Session, cycle_ids: list[int]) -> dict[int, dict[int, set[str]]]:
    """Per cycle, per challenge, the perspectives of everyone who answered it (one query)."""
    out: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    if cycle_ids:
        for cycle_id, challenge, perspective in session.exec(
                select(Rating.cycle_id, Rating.challenge, Rating.perspective)
                .where(col(Rating.cycle_id).in_(cycle_ids)).distinct()).all():
            out[cycle_id][challenge].add(perspective)
    return out


def present(session: Session, cycle_ids: list[int]) -> dict[int, set[str]]:
    """Per cycle, the perspectives its site has among its active members (one query)."""
    out: dict[int, set[str]] = defaultdict(set)
    if cycle_ids:
        for cycle_id, perspective in session.exec(
                select(Cycle.id, Membership.perspective)
                .join(Membership, col(Membership.site_id) == Cycle.site_id)
                .join(User, col(User.id) == Membership.user_id)
                .where(col(Cycle.id).in_(cycle_ids), col(User.is_active).is_(True))
                .distinct()).all():
            out[cycle_id].add(perspective)
    return out


def gaps(answered: dict[int, set[str]], among: set[str]) -> dict[int, list[str]]:
    """The challenges missing some of these perspectives, each with those missing."""
    found = {n: _ordered(among - answered.get(n, set())) for n in CHALLENGE_NUMBERS}
    return {n: missing for n, missing in found.items() if missing}


def unheard(session: Session, cycle_ids: list[int]) -> dict[int, dict[int, list[str]]]:
    """Per cycle, the challenges that lack a perspective the site has among its members, each
    with the perspectives missing (two queries, whatever the number of cycles)."""
    answered = heard(session, cycle_ids)
    among = present(session, cycle_ids)
    return {cycle_id: gaps(answered[cycle_id], among[cycle_id]) for cycle_id in cycle_ids}


def by_perspective(missing: dict[int, list[str]]) -> dict[str, list[int]]:
    """{challenge: perspectives} turned round: {perspective: challenges}, in the usual order."""
    out: dict[str, list[int]] = defaultdict(list)
    for n in sorted(missing):
        for p in missing[n]:
            out[p].append(n)
    return {p: out[p] for p in _ordered(set(out))}


def not_heard_from(session: Session, cycle_ids: list[int],
                   perspective: str = Perspective.lived_experience.value) -> dict[int, list[int]]:
    """Per cycle, the challenges nobody of this perspective answered, whether or not the site
    has such members now (one query, reading only that perspective's answers)."""
    answered: dict[int, set[int]] = defaultdict(set)
    if cycle_ids:
        for cycle_id, challenge in session.exec(
                select(Rating.cycle_id, Rating.challenge)
                .where(col(Rating.cycle_id).in_(cycle_ids), Rating.perspective == perspective)
                .distinct()).all():
            answered[cycle_id].add(challenge)
    return {cycle_id: [n for n in CHALLENGE_NUMBERS if n not in answered[cycle_id]]
            for cycle_id in cycle_ids}


@dataclass
class Waiting:
    """A member who has not answered every challenge yet."""

    name: str
    answered: int


def waiting(session: Session, *, cycle: Cycle) -> dict[str, list[Waiting]]:
    """The site's active members who have not answered all ten challenges, by perspective
    (perspectives in their usual order, names in alphabetical order; two queries)."""
    counts: dict[int, int] = defaultdict(int, session.exec(
        select(Rating.rater_id, func.count()).where(Rating.cycle_id == cycle.id)
        .group_by(Rating.rater_id)).all())
    out: dict[str, list[Waiting]] = defaultdict(list)
    for user, perspective in session.exec(
            select(User, Membership.perspective).join(Membership, col(Membership.user_id) == User.id)
            .where(Membership.site_id == cycle.site_id, col(User.is_active).is_(True))
            .order_by(col(User.name))).all():
        if counts[user.id] < len(CHALLENGE_NUMBERS):
            out[perspective].append(Waiting(name=user.name, answered=counts[user.id]))
    return {p: out[p] for p in _ordered(set(out))}


def words_of(items: list[str]) -> str:
    """"a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def words(numbers: list[int]) -> str:
    """"1, 3 and 7"."""
    return words_of([str(n) for n in numbers])
