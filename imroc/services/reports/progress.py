"""Read-only reports: agreed levels per challenge per cycle, for the sites a person may see."""

from pydantic import BaseModel
from sqlmodel import Session, col, select

from imroc.models import ConsensusScore, Cycle, Site
from imroc.services import learning_sets, set_history, sites
from imroc.services.access import Principal


class ProgressRow(BaseModel):
    site_id: int
    site_name: str
    cycle_id: int
    cycle_number: int
    stage: str
    started_on: str
    challenge: int
    level: int


def progress(session: Session, *, principal: Principal, site_id: int | None = None,
             learning_set_id: int | None = None) -> list[ProgressRow]:
    """Signed-off consensus levels, one row per site, cycle and challenge (one query).
    With a learning set, only the cycles run in that set (a site that moved keeps its
    earlier cycles with the set it was in)."""
    if site_id is not None:
        site_ids = [sites.get_site(session, site_id=site_id, principal=principal).id]
    elif learning_set_id is not None:
        ls = learning_sets.get_learning_set(session, learning_set_id=learning_set_id,
                                            principal=principal)
        site_ids = set_history.set_site_ids(session, ls=ls)
    else:
        site_ids = [s.id for s in sites.list_sites(session, principal=principal)]
    query = (select(Site.id, Site.name, Cycle.id, Cycle.number, Cycle.stage, Cycle.started_on,
                    ConsensusScore.challenge, ConsensusScore.level)
             .join(Cycle, col(Cycle.site_id) == Site.id)
             .join(ConsensusScore, col(ConsensusScore.cycle_id) == Cycle.id)
             .where(col(Site.id).in_(site_ids or [-1]), col(Cycle.signed_off_at).is_not(None)))
    if learning_set_id is not None:
        query = query.where(set_history.ran_in(learning_set_id))
    rows = session.exec(query.order_by(col(Site.name), col(Cycle.number),
                                       col(ConsensusScore.challenge))).all()
    return [ProgressRow(site_id=r[0], site_name=r[1], cycle_id=r[2], cycle_number=r[3],
                        stage=r[4], started_on=r[5].isoformat(), challenge=r[6], level=r[7])
            for r in rows]
