"""Past PDSA cycles for the demo sites, played through the same services people use.

Every step is dated as it would have happened at a real site (the services' `at`): a cycle
runs three to six months, its assessment is agreed in the first fortnight, its changes are
judged a few weeks before it closes, and closing opens the next cycle that day. Each site's
open cycle began a few weeks before the day the demo is loaded, so the demo looks live on
any date; no past cycle ends after that day.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from imroc import clock
from imroc.models import Action, Cycle, Membership, SharedChange, Site, User
from imroc.models.action import ActionCreate, ActionUpdate, PrioritiesIn, PriorityIn
from imroc.models.assessment import RatingIn, RatingsIn, ScoreIn, ScoresIn
from imroc.models.change import ShareIn
from imroc.models.cycle import CycleCreate, CycleUpdate
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import SiteRole
from imroc.services import actions, assessments, changes, cycles, priorities
from imroc.services.access import load_principal

IDEAS = ["Co-produce care plans with people on the ward", "Peer worker joins ward rounds",
         "Recovery college course on safety planning", "Staff wellbeing sessions led by peers",
         "Carers' group co-designs the welcome pack", "Employment adviser in the community team"]
HISTORY_START = date(2023, 1, 9)  # the longest-running demo site's first cycle
SHORTEST, LONGEST = 92, 183  # days: three to six months
# The change behind the drop in Hollinsmere's seclusion hours (its local measure).
SAFETY_PLANNING = (6, "New safety-planning practice on every ward")


@dataclass
class History:
    """What the demo's past cycles came to: how many were played, and each site's adopted
    changes (the day decided, the challenge, the title), which its measures follow."""

    played: int = 0
    adopted: dict[int, list[tuple[date, int, str]]] = field(default_factory=dict)
    shared: list[SharedChange] = field(default_factory=list)  # changes shared with others


def _at(day: date, hour: int = 12) -> datetime:
    """An instant on a day, in working hours in England whatever the season."""
    return datetime.combine(day, time(hour), UTC)


def _group(session: Session, site: Site):
    rows = session.exec(select(Membership, User).join(User, col(User.id) == Membership.user_id)
                        .where(Membership.site_id == site.id)).all()
    lead = next(load_principal(session, u) for m, u in rows if m.role == SiteRole.site_lead)
    return lead, [load_principal(session, u) for _m, u in rows]


def play_cycle(session: Session, *, site: Site, number: int, rng: random.Random,
               start: date, end: date, history: History,
               story: tuple[int, str] | None = None, borrow: SharedChange | None = None) -> Cycle:
    """One complete cycle from `start` to `end`: ratings by every member, consensus,
    priorities, actions, outcomes, close; `story` is a change (challenge, title) it adopts,
    `borrow` a change another site shared that it tries ("Try this here")."""
    lead, group = _group(session, site)
    length = (end - start).days
    cycle = cycles.open_cycle_of(session, site=site) or cycles.open_cycle(
        session, site=site, principal=lead, data=CycleCreate(started_on=start), at=_at(start))
    base = min(3, number - 1)
    for i, member in enumerate(group):
        assessments.set_ratings(session, cycle=cycle, site=site, principal=member, data=RatingsIn(
            ratings=[RatingIn(challenge=c, level=max(0, min(3, base + rng.choice([-1, 0, 0, 1]))),
                              comment="") for c in CHALLENGE_NUMBERS]),
            at=_at(start + timedelta(days=2 + 2 * i)))
    levels = {c: max(0, min(3, base + rng.choice([-1, 0, 0, 1]))) for c in CHALLENGE_NUMBERS}
    agreed = start + timedelta(days=14)
    assessments.set_consensus(session, cycle=cycle, site=site, principal=lead, data=ScoresIn(
        scores=[ScoreIn(challenge=c, level=lv, rationale="Agreed at the steering group")
                for c, lv in levels.items()]), at=_at(agreed, 14))
    assessments.sign_off(session, cycle=cycle, site=site, principal=lead, at=_at(agreed, 15))
    cycles.advance(session, cycle=cycle, site=site, principal=lead, at=_at(agreed, 16))
    chosen = sorted(levels, key=lambda c: (levels[c], rng.random()))[:3]
    if story and story[0] not in chosen:
        chosen[-1] = story[0]
    if borrow and borrow.challenge not in chosen:
        chosen[0] = borrow.challenge
    priorities.set_priorities(session, cycle=cycle, site=site, principal=lead, data=PrioritiesIn(
        priorities=[PriorityIn(challenge=c, rank=i + 1, target_level=min(3, levels[c] + 1),
                               reason="Lowest agreed level") for i, c in enumerate(chosen)]),
        at=_at(start + timedelta(days=16)))
    planned = start + timedelta(days=17)
    for c in chosen:
        for k in range(2):
            title = story[1] if story and c == story[0] and k == 0 else rng.choice(IDEAS)
            actions.create_action(session, cycle=cycle, site=site, principal=group[-1],
                                  data=ActionCreate(challenge=c, title=title,
                                                    owner="Steering group",
                                                    due_on=start + timedelta(days=60)),
                                  at=_at(planned))
    if borrow:
        changes.adopt(session, change=borrow, cycle_id=cycle.id, principal=group[-1],
                      at=_at(planned, 13))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead, data=CycleUpdate(
        aim="More people say staff helped them feel hopeful",
        prediction="A third more care plans written together", measures="Monthly audit"),
        at=_at(start + timedelta(days=18)))
    cycles.advance(session, cycle=cycle, site=site, principal=lead,
                   at=_at(start + timedelta(days=21)))
    midway = _at(start + timedelta(days=length // 2))
    for action in actions.list_actions(session, cycle=cycle):
        actions.update_action(session, action=action, cycle=cycle, site=site, principal=lead,
                              data=ActionUpdate(status=rng.choice(
                                  ["done", "done", "in_progress", "blocked"]),
                                  version=action.version), at=midway)
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(do_notes="Tried on two wards."), at=midway)
    cycles.advance(session, cycle=cycle, site=site, principal=lead,
                   at=_at(end - timedelta(days=28)))
    judged = end - timedelta(days=21)
    for action in actions.list_actions(session, cycle=cycle):
        fresh = session.get(Action, action.id)
        outcome = ("adopt" if story and fresh.title == story[1]
                   else rng.choice(["adopt", "adapt", "abandon"]))
        actions.update_action(session, action=fresh, cycle=cycle, site=site, principal=lead,
                              data=ActionUpdate(outcome=outcome, version=fresh.version),
                              at=_at(judged))
        if outcome == "adopt":
            history.adopted.setdefault(site.id, []).append((judged, fresh.challenge, fresh.title))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(study_notes="Some change, less than predicted."),
                         at=_at(end - timedelta(days=20)))
    cycles.advance(session, cycle=cycle, site=site, principal=lead,
                   at=_at(end - timedelta(days=14)))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(act_notes="Adapt and test again on more wards."),
                         at=_at(end - timedelta(days=7)))
    cycles.advance(session, cycle=cycle, site=site, principal=lead, at=_at(end))
    history.played += 1
    return cycle


def share(session: Session, *, site: Site, cycle: Cycle, end: date, scope: str,
          anonymised: bool, title: str | None = None) -> list[SharedChange]:
    """The lead shares a change the closed cycle adopted (the one titled so, else the
    first adopted or adapted) the afternoon it closed; none when it judged none so."""
    lead = _group(session, site)[0]
    judged = [a for a in actions.list_actions(session, cycle=cycle)
              if a.outcome in ("adopt", "adapt") and title in (None, a.title)]
    if not judged:
        return []
    change, _new = changes.share_action(
        session, action=judged[0], cycle=cycle, site=site, principal=lead,
        data=ShareIn(scope=scope, anonymised=anonymised), at=_at(end, 15))
    return [change]


def spans(rng: random.Random, *, first: date | None, last: date, count: int) -> list[date]:
    """The start of each past cycle and the day the last one closed (`last`): `count` cycles
    of three to six months back from `last`, or from `first` to `last` in as many cycles as
    fit when `first` is given."""
    if first is not None and (last - first).days >= SHORTEST:
        total = (last - first).days
        count = -(-total // LONGEST)
    else:
        lengths = [rng.randint(SHORTEST, LONGEST) for _ in range(count)]
        total = sum(lengths)
    lengths = [total // count + (1 if i < total % count else 0) for i in range(count)]
    for i in range(count - 1):  # vary them a little, each staying three to six months
        shift = rng.randint(-20, 20)
        if SHORTEST <= lengths[i] + shift <= LONGEST and SHORTEST <= lengths[i + 1] - shift <= LONGEST:
            lengths[i], lengths[i + 1] = lengths[i] + shift, lengths[i + 1] - shift
    days = [last - timedelta(days=total)]
    for n in lengths:
        days.append(days[-1] + timedelta(days=n))
    return days


def load_history(session: Session, *, sites: list[Site], today: date | None = None,
                 seed: int = 2011) -> History:
    """Give each site but the first its closed cycles and an open one begun a few weeks ago;
    the second site's history runs from January 2023; the first stays fresh for a walk-through."""
    rng = random.Random(seed)
    today = today or clock.today()
    history = History()
    for n, site in enumerate(sites[1:], start=1):
        opened = today - timedelta(days=14 + 9 * (n % 7))
        days = spans(rng, first=HISTORY_START if n == 1 else None, last=opened,
                     count=1 + (n % 3))
        middle = (len(days) - 1) // 2
        for number, (start, end) in enumerate(zip(days, days[1:], strict=False), start=1):
            story = SAFETY_PLANNING if n == 1 and number == middle + 1 else None
            # The third site tries, in its first cycle, a change the second shared before.
            borrow = history.shared[0] if n == 2 and number == 1 and history.shared else None
            cycle = play_cycle(session, site=site, number=number, rng=rng, start=start,
                               end=end, history=history, story=story, borrow=borrow)
            if n == 1 and number == 1:  # shared with everyone, without the site's name
                history.shared += share(session, site=site, cycle=cycle, end=end,
                                            scope="programme", anonymised=True)
            if story:  # the safety-planning practice, shared with its learning set
                history.shared += share(session, site=site, cycle=cycle, end=end,
                                            scope="learning_set", anonymised=False,
                                            title=story[1])
            if n == 3 and number == 1:
                history.shared += share(session, site=site, cycle=cycle, end=end,
                                            scope="learning_set", anonymised=False)
    return history
