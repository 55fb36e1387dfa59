"""Reading the scores together: spread by perspective, flags, whose voices, and history."""

from dataclasses import dataclass, field
from statistics import median

from sqlmodel import Session, col, select

from imroc.models import ConsensusScore, Cycle, FacilitatorRating, Rating, Site
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import Perspective
from imroc.services import voices as voices_service
from imroc.services.cycles import previous_cycle

DISAGREEMENT = 2  # a range of this many levels or more is flagged


@dataclass
class ChallengeSpread:
    """Everything the consensus view shows for one challenge."""

    challenge: int
    by_perspective: dict[str, list[Rating]] = field(default_factory=dict)  # "don't know" too
    levels: list[int] = field(default_factory=list)  # the levels given, never "don't know"
    dont_know: int = 0
    # Perspectives the site has among its members that gave no answer on this challenge.
    missing: list[str] = field(default_factory=list)
    agreed: ConsensusScore | None = None
    previous: int | None = None
    facilitator: list[int] = field(default_factory=list)

    @property
    def low(self) -> int | None:
        return min(self.levels) if self.levels else None

    @property
    def high(self) -> int | None:
        return max(self.levels) if self.levels else None

    @property
    def middle(self) -> float | None:
        return median(self.levels) if self.levels else None

    @property
    def spread(self) -> int:
        return (self.high - self.low) if self.levels else 0

    def perspective_median(self, perspective: str) -> float | None:
        levels = [r.level for r in self.by_perspective.get(perspective) or [] if not r.dont_know]
        return median(levels) if levels else None

    @property
    def disagreement(self) -> bool:
        return self.spread >= DISAGREEMENT

    @property
    def facilitator_middle(self) -> float | None:
        return median(self.facilitator) if self.facilitator else None

    @property
    def gap(self) -> float | None:
        """The facilitator's view minus the agreed level (positive: they see it higher)."""
        if self.agreed is None or not self.facilitator:
            return None
        return self.facilitator_middle - self.agreed.level

    @property
    def perspectives_differ(self) -> bool:
        staff = self.perspective_median(Perspective.staff)
        lived = self.perspective_median(Perspective.lived_experience)
        return staff is not None and lived is not None and staff != lived


@dataclass
class ConsensusView:
    cycle: Cycle
    challenges: list[ChallengeSpread]
    voices: dict[str, int]  # distinct raters per perspective

    @property
    def no_lived_experience(self) -> bool:
        return self.voices.get(Perspective.lived_experience, 0) == 0

    @property
    def raters(self) -> int:
        return sum(self.voices.values())

    @property
    def unheard(self) -> list["ChallengeSpread"]:
        """The challenges that lack a perspective the site has among its members."""
        return [c for c in self.challenges if c.missing]


def consensus_view(session: Session, *, cycle: Cycle) -> ConsensusView:
    """The ratings of every voice for every challenge, with the flags (six queries)."""
    spreads = {n: ChallengeSpread(challenge=n) for n in CHALLENGE_NUMBERS}
    ratings = session.exec(select(Rating).where(Rating.cycle_id == cycle.id)
                           .order_by(col(Rating.perspective), col(Rating.rater_id))).all()
    voices: dict[str, set[int]] = {p.value: set() for p in Perspective}
    for r in ratings:
        spread = spreads.get(r.challenge)
        if spread is None:
            continue
        spread.by_perspective.setdefault(r.perspective, []).append(r)
        if r.dont_know:
            spread.dont_know += 1
        else:
            spread.levels.append(r.level)
        voices.setdefault(r.perspective, set()).add(r.rater_id)
    for score in session.exec(select(ConsensusScore).where(
            ConsensusScore.cycle_id == cycle.id)).all():
        spreads[score.challenge].agreed = score
    prev = previous_cycle(session, cycle)
    if prev is not None:
        for score in session.exec(select(ConsensusScore).where(
                ConsensusScore.cycle_id == prev.id)).all():
            spreads[score.challenge].previous = score.level
    for fr in session.exec(select(FacilitatorRating).where(
            FacilitatorRating.cycle_id == cycle.id)).all():
        spreads[fr.challenge].facilitator.append(fr.level)
    for challenge, missing in voices_service.unheard(session, [cycle.id])[cycle.id].items():
        spreads[challenge].missing = missing
    return ConsensusView(cycle=cycle, challenges=list(spreads.values()),
                         voices={k: len(v) for k, v in voices.items()})


def suggestions(view: ConsensusView, limit: int = 5) -> list[tuple[int, list[str]]]:
    """Candidate priorities, each with the reasons it is suggested, most reasons first."""
    agreed = {c.challenge: c.agreed.level for c in view.challenges if c.agreed}
    lowest = min(agreed.values()) if agreed else None
    out: list[tuple[int, list[str]]] = []
    for c in view.challenges:
        reasons: list[str] = []
        if c.agreed and c.agreed.level == lowest:
            reasons.append(f"one of the lowest agreed levels ({lowest})")
        if c.disagreement:
            reasons.append(f"people disagree: ratings range from {c.low} to {c.high}")
        elif c.perspectives_differ:
            reasons.append("staff and people with lived experience see it differently")
        if c.agreed and c.previous is not None and c.agreed.level <= c.previous:
            reasons.append("no progress since the last cycle")
        if reasons:
            out.append((c.challenge, reasons))
    out.sort(key=lambda item: (-len(item[1]), agreed.get(item[0], 99), item[0]))
    return out[:limit]


def history(session: Session, *, site: Site) -> tuple[list[Cycle], dict[int, dict[int, dict]]]:
    """Each cycle's agreed level per challenge and its change from the cycle before.

    change is "up", "down", "unchanged" (re-assessed, same level) or "carried over" (the
    level was kept from the last cycle with nobody rating the challenge this time).
    """
    cycles = list(session.exec(select(Cycle).where(Cycle.site_id == site.id)
                               .order_by(col(Cycle.number))).all())
    ids = [c.id for c in cycles] or [-1]
    scores = session.exec(select(ConsensusScore).where(col(ConsensusScore.cycle_id).in_(ids))).all()
    rated = set(session.exec(select(Rating.cycle_id, Rating.challenge).where(
        col(Rating.cycle_id).in_(ids)).distinct()).all())
    table: dict[int, dict[int, dict]] = {c.id: {} for c in cycles}
    for s in scores:
        table[s.cycle_id][s.challenge] = {"level": s.level, "change": None,
                                          "to_reconfirm": s.to_reconfirm}
    for before, after in zip(cycles, cycles[1:], strict=False):
        for challenge, cell in table[after.id].items():
            old = table[before.id].get(challenge)
            if old is None:
                continue
            if cell["level"] > old["level"]:
                cell["change"] = "up"
            elif cell["level"] < old["level"]:
                cell["change"] = "down"
            elif (after.id, challenge) in rated:
                cell["change"] = "unchanged"
            else:
                cell["change"] = "carried over"
    return cycles, table
