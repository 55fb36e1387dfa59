"""Test data for the library of changes that worked: closed cycles with judged actions, open
cycles ready for a change, and shared changes (made through the sharing service)."""

from datetime import date

from sqlmodel import Session, func, select

from imroc.clock import utcnow
from imroc.models import Action, Cycle, Priority, Site
from imroc.models.change import ShareIn
from imroc.services import changes, frameworks
from imroc.services.access import load_principal


def _next_number(session: Session, site: Site) -> int:
    return (session.exec(select(func.max(Cycle.number)).where(Cycle.site_id == site.id)).one()
            or 0) + 1


def judged_action(session: Session, *, site: Site, outcome: str = "adopt", challenge: int = 3,
                  title: str = "Peer workers join ward rounds", stage: str = "closed",
                  notes: str = "Two peer workers joined the morning ward round.") -> Action:
    """An action with an outcome in a new cycle of the site (closed unless `stage` says)."""
    cycle = Cycle(site_id=site.id, number=_next_number(session, site),
                  framework_id=frameworks.current(session).id, stage=stage,
                  started_on=date(2024, 1, 8), learning_set_id=site.learning_set_id,
                  prediction="A third more people feel listened to",
                  study_notes="Half as many complaints",
                  do_notes="Tried on two wards", closed_at=utcnow() if stage == "closed" else None)
    session.add(cycle)
    session.commit()
    action = Action(cycle_id=cycle.id, challenge=challenge, title=title, notes=notes,
                    status="done", outcome=outcome, outcome_on=date(2024, 3, 1))
    session.add(action)
    session.commit()
    return action


def ready_cycle(session: Session, *, site: Site, challenges: tuple[int, ...] = (3,),
                stage: str = "plan") -> Cycle:
    """An open cycle of the site at the plan stage (or `stage`) with these priorities."""
    cycle = Cycle(site_id=site.id, number=_next_number(session, site),
                  framework_id=frameworks.current(session).id, stage=stage,
                  started_on=date(2024, 6, 3), learning_set_id=site.learning_set_id)
    session.add(cycle)
    session.commit()
    for rank, challenge in enumerate(challenges, start=1):
        session.add(Priority(cycle_id=cycle.id, challenge=challenge, rank=rank,
                             current_level=1, target_level=2))
    session.commit()
    return cycle


def shared(session: Session, *, lead, site: Site, scope: str = "learning_set",
           anonymised: bool = False, **action):
    """A change shared by the site's lead (an adopted action of a new closed cycle)."""
    found = judged_action(session, site=site, **action)
    cycle = session.get(Cycle, found.cycle_id)
    change, _new = changes.share_action(session, action=found, cycle=cycle, site=site,
                                        principal=load_principal(session, lead),
                                        data=ShareIn(scope=scope, anonymised=anonymised))
    return change
