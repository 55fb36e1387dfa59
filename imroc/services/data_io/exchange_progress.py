"""The exchange document's `progress_scores` section: the site's and the facilitator's
progress score of each cycle, named by cycle number (a cycle of the same document)."""

from sqlmodel import Session, col, func, select

from imroc.models import Cycle, ProgressScore, Site, User
from imroc.services.data_io.exchange_doc import ProgressScoreDoc

KEY = "progress_scores"


def export(session: Session, site: Site) -> list[dict]:
    """Every progress score of the site's cycles, by cycle number and giver."""
    rows = session.exec(
        select(Cycle.number, ProgressScore, User.email)
        .join(ProgressScore, col(ProgressScore.cycle_id) == Cycle.id)
        .outerjoin(User, col(User.id) == ProgressScore.given_by)
        .where(Cycle.site_id == site.id)
        .order_by(col(Cycle.number), col(ProgressScore.giver))).all()
    return [{"cycle": number, "giver": row.giver, "score": row.score, "comment": row.comment,
             "given_by": email, "updated_at": row.updated_at} for number, row, email in rows]


def check(session: Session, docs: list[ProgressScoreDoc], site_id: int | None,
          bad, **_context) -> list[ProgressScoreDoc]:
    """One score per cycle and giver (the cycles themselves are new: the document's)."""
    seen: set[tuple[int, str]] = set()
    for i, p in enumerate(docs):
        if (p.cycle, p.giver.value) in seen:
            bad(f"{KEY}/{i}/giver", p.giver.value,
                f"Cycle {p.cycle} has two progress scores from the {p.giver.value}")
        seen.add((p.cycle, p.giver.value))
    return list(docs)


def write(session: Session, site: Site, plan: list[ProgressScoreDoc],
          actor: User | None) -> int:
    """Add the scores to the cycles just written; returns how many were added."""
    if not plan:
        return 0
    session.flush()
    cycles = dict(session.exec(select(Cycle.number, Cycle.id).where(
        Cycle.site_id == site.id)).all())
    emails = {p.given_by.lower() for p in plan if p.given_by}
    people = dict(session.exec(select(func.lower(User.email), User.id).where(
        func.lower(User.email).in_(sorted(emails) or [""]))).all())
    for p in plan:
        extra = {"created_at": p.updated_at, "updated_at": p.updated_at} if p.updated_at \
            else {}
        session.add(ProgressScore(
            cycle_id=cycles[p.cycle], giver=p.giver.value, score=p.score,
            comment=p.comment.strip(), given_by=people.get((p.given_by or "").lower()),
            **extra))
    session.flush()
    return len(plan)
