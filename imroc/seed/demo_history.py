"""Past PDSA cycles for the demo sites, played through the same services people use."""

import random
from datetime import date, timedelta

from sqlmodel import Session, col, select

from imroc.models import Action, Membership, Site, User
from imroc.models.action import ActionCreate, ActionUpdate, PrioritiesIn, PriorityIn
from imroc.models.assessment import RatingIn, RatingsIn, ScoreIn, ScoresIn
from imroc.models.cycle import CycleCreate, CycleUpdate
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import SiteRole
from imroc.services import actions, assessments, cycles, priorities
from imroc.services.access import load_principal

IDEAS = ["Co-produce care plans with people on the ward", "Peer worker joins ward rounds",
         "Recovery college course on safety planning", "Staff wellbeing sessions led by peers",
         "Carers' group co-designs the welcome pack", "Employment adviser in the community team"]


def _group(session: Session, site: Site):
    rows = session.exec(select(Membership, User).join(User, col(User.id) == Membership.user_id)
                        .where(Membership.site_id == site.id)).all()
    lead = next(load_principal(session, u) for m, u in rows if m.role == SiteRole.site_lead)
    return lead, [load_principal(session, u) for _m, u in rows]


def play_cycle(session: Session, *, site: Site, number: int, rng: random.Random,
               start: date) -> None:
    """One complete cycle: ratings by every member, consensus, priorities, actions, close."""
    lead, group = _group(session, site)
    cycle = cycles.open_cycle_of(session, site=site) or cycles.open_cycle(
        session, site=site, principal=lead, data=CycleCreate(started_on=start))
    base = min(3, number - 1)
    for member in group:
        assessments.set_ratings(session, cycle=cycle, site=site, principal=member, data=RatingsIn(
            ratings=[RatingIn(challenge=c, level=max(0, min(3, base + rng.choice([-1, 0, 0, 1]))),
                              comment="") for c in CHALLENGE_NUMBERS]))
    levels = {c: max(0, min(3, base + rng.choice([-1, 0, 0, 1]))) for c in CHALLENGE_NUMBERS}
    assessments.set_consensus(session, cycle=cycle, site=site, principal=lead, data=ScoresIn(
        scores=[ScoreIn(challenge=c, level=lv, rationale="Agreed at the steering group")
                for c, lv in levels.items()]))
    assessments.sign_off(session, cycle=cycle, site=site, principal=lead)
    cycles.advance(session, cycle=cycle, site=site, principal=lead)
    chosen = sorted(levels, key=lambda c: (levels[c], rng.random()))[:3]
    priorities.set_priorities(session, cycle=cycle, site=site, principal=lead, data=PrioritiesIn(
        priorities=[PriorityIn(challenge=c, rank=i + 1, target_level=min(3, levels[c] + 1),
                               reason="Lowest agreed level") for i, c in enumerate(chosen)]))
    for c in chosen:
        for _ in range(2):
            actions.create_action(session, cycle=cycle, site=site, principal=group[-1],
                                  data=ActionCreate(challenge=c, title=rng.choice(IDEAS),
                                                    owner="Steering group",
                                                    due_on=start + timedelta(days=60)))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead, data=CycleUpdate(
        aim="More people say staff helped them feel hopeful",
        prediction="A third more care plans written together", measures="Monthly audit"))
    cycles.advance(session, cycle=cycle, site=site, principal=lead)
    for action in actions.list_actions(session, cycle=cycle):
        actions.update_action(session, action=action, cycle=cycle, site=site, principal=lead,
                              data=ActionUpdate(status=rng.choice(
                                  ["done", "done", "in_progress", "blocked"]),
                                  version=action.version))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(do_notes="Tried on two wards."))
    cycles.advance(session, cycle=cycle, site=site, principal=lead)
    for action in actions.list_actions(session, cycle=cycle):
        fresh = session.get(Action, action.id)
        actions.update_action(session, action=fresh, cycle=cycle, site=site, principal=lead,
                              data=ActionUpdate(outcome=rng.choice(["adopt", "adapt", "abandon"]),
                                                version=fresh.version))
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(study_notes="Some change, less than predicted."))
    cycles.advance(session, cycle=cycle, site=site, principal=lead)
    cycles.update_record(session, cycle=cycle, site=site, principal=lead,
                         data=CycleUpdate(act_notes="Adapt and test again on more wards."))
    cycles.advance(session, cycle=cycle, site=site, principal=lead)


def load_history(session: Session, *, sites: list[Site], seed: int = 2011) -> int:
    """Give each site but the first 1-3 closed cycles; the first stays fresh for a walk-through."""
    rng = random.Random(seed)
    played = 0
    for n, site in enumerate(sites[1:], start=1):
        start = date(2023, 1, 9)
        for number in range(1, 1 + (n % 3) + 1):
            play_cycle(session, site=site, number=number, rng=rng, start=start)
            start += timedelta(days=91)
            played += 1
    return played
