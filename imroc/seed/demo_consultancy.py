"""The demo's consultancy days: dated entries for pilot and demonstration sites, from when
each joined until today, within (and for one pilot just beyond) the days its kind allocates."""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from imroc import clock
from imroc.models import Site, User
from imroc.models.consultancy import ConsultancyEntryIn
from imroc.services import consultancy
from imroc.services.access import Principal

PURPOSES = (
    "Introductory workshop for the steering group",
    "Co-production training with peer workers",
    "Facilitating the first self-assessment meeting",
    "Recovery college planning session",
    "Supervision for the peer support workers' lead",
    "Board development session on recovery",
    "Reviewing the action plan with the site lead",
    "Training for team managers: supporting peer workers",
)


def load_consultancy(session: Session, *, sites: list[Site], team: list[User],
                     peer_trainers: list[str], actor: Principal, seed: int = 2011,
                     today: date | None = None) -> int:
    """Entries for each site that has days allocated, none after `today` (the day the demo is
    loaded when omitted); returns how many were made."""
    rng = random.Random(seed)
    today = today or clock.today()
    made = 0
    first_pilot = True
    for site in sites:
        if not site.consultancy_days_allocated:
            continue
        # Most sites use about two thirds of their days; the first pilot a little more than all.
        budget = Decimal(site.consultancy_days_allocated) * (
            Decimal("1.05") if site.kind == "pilot" and first_pilot else Decimal("0.7"))
        first_pilot = first_pilot and site.kind != "pilot"
        on = (site.joined_on or today) + timedelta(days=rng.randint(10, 30))
        used = Decimal(0)
        while on < today:
            days = Decimal(rng.choice((1, 1, 2, 2, 3))) / (2 if rng.random() < 0.3 else 1)
            if used + days > budget:
                break
            by_team = rng.random() < 0.6
            consultancy.create_entry(session, site=site, principal=actor, data=ConsultancyEntryIn(
                delivered_on=on, days=days, purpose=rng.choice(PURPOSES),
                delivered_by_id=rng.choice(team).id if by_team else None,
                delivered_by_name="" if by_team else rng.choice(peer_trainers)))
            used += days
            made += 1
            on += timedelta(days=rng.randint(28, 75))
    return made


