"""Writing one site's open JSON exchange document (the shape is in exchange_doc.py)."""

from collections import defaultdict

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.models import (
    Action,
    ConsensusScore,
    Cycle,
    FacilitatorRating,
    Feedback,
    Framework,
    LearningSet,
    LearningSetFacilitator,
    Meeting,
    Membership,
    Priority,
    Rating,
    Site,
    User,
)
from imroc.models.cycle import PDSA_FIELDS
from imroc.services import access, actions
from imroc.services.access import Principal
from imroc.services.data_io import exchange_changes
from imroc.services.data_io.exchange_doc import ExchangeDoc
from imroc.services.data_io.exchange_sections import SECTIONS


def export_site(session: Session, *, principal: Principal | None, site: Site) -> ExchangeDoc:
    """The site's exchange document (principal None: the command line)."""
    if principal is not None:
        access.ensure_exchange_export(principal, site)
    cycles = list(session.exec(select(Cycle).where(Cycle.site_id == site.id)
                               .order_by(col(Cycle.number))).all())
    ids = [c.id for c in cycles] or [-1]
    versions = dict(session.exec(select(Framework.id, Framework.version)).all())
    framework = session.get(Framework, cycles[-1].framework_id) if cycles else None
    if framework is None:
        from imroc.services import frameworks

        framework = frameworks.current(session)

    def of(model):
        rows = session.exec(select(model).where(col(model.cycle_id).in_(ids))
                            .order_by(col(model.id))).all()
        grouped = defaultdict(list)
        for row in rows:
            grouped[row.cycle_id].append(row)
        return grouped

    ratings, scores, fac, prios, acts, notes = (of(m) for m in (
        Rating, ConsensusScore, FacilitatorRating, Priority, Action, Feedback))
    members = {m.user_id: m for m in session.exec(
        select(Membership).where(Membership.site_id == site.id))}
    meetings = {m.id: m for m in session.exec(select(Meeting).where(
        col(Meeting.id).in_([c.meeting_id for c in cycles if c.meeting_id] or [-1])))}
    ls = session.get(LearningSet, site.learning_set_id) if site.learning_set_id else None
    facilitators = list(session.exec(select(LearningSetFacilitator.user_id).where(
        LearningSetFacilitator.learning_set_id == ls.id)).all()) if ls else []
    mentioned = set(members) | set(facilitators)
    mentioned |= {r.rater_id for rs in (ratings, fac) for group in rs.values() for r in group}
    mentioned |= {f.author_id for group in notes.values() for f in group}
    mentioned |= {c.signed_off_by for c in cycles if c.signed_off_by}
    mentioned |= exchange_changes.mentions(session, site)
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(
        sorted(mentioned) or [-1])))}
    place = {aid: {"cycle": cycle, "number": n} for aid, (cycle, n) in actions.places(
        [a for c in cycles for a in acts[c.id]], {c.id: c.number for c in cycles}).items()}
    doc = {
        "exported_at": utcnow(),
        "framework": {"id": framework.key, "version": framework.version},
        "site": {
            "uid": site.uid, "name": site.name, "organisation": site.organisation, "kind": site.kind,
            "region": site.region, "joined_on": site.joined_on,
            "consultancy_days_allocated": site.consultancy_days_allocated,
            # The sum of the `consultancy` section's entries, for readers who want the total.
            "consultancy_days_used": float(site.consultancy_days_used),
            "learning_set": {"name": ls.name, "region": ls.region, "facilitators": sorted(
                users[f].email for f in facilitators)} if ls else None},
        "people": sorted(({
            "email": u.email, "name": u.name,
            "role": members[u.id].role if u.id in members else None,
            "perspective": members[u.id].perspective if u.id in members else None}
            for u in users.values()), key=lambda p: p["email"]),
        "cycles": [{
            "number": c.number, "framework_version": versions[c.framework_id],
            "stage": c.stage, "started_on": c.started_on, "review_due_on": c.review_due_on,
            "meeting": {"held_on": meetings[c.meeting_id].held_on,
                        "title": meetings[c.meeting_id].title} if c.meeting_id else None,
            "signed_off_at": c.signed_off_at, "closed_at": c.closed_at,
            "signed_off_by": users[c.signed_off_by].email if c.signed_off_by else None,
            "pdsa": {k: getattr(c, k) for k in PDSA_FIELDS},
            "ratings": [{"rater": users[r.rater_id].email, "perspective": r.perspective,
                         "challenge": r.challenge, "level": r.level, "comment": r.comment,
                         **({"dont_know": True} if r.dont_know else {})}
                        for r in sorted(ratings[c.id], key=lambda r: (
                            users[r.rater_id].email, r.challenge))],
            "consensus": [{"challenge": s.challenge, "level": s.level,
                           "rationale": s.rationale, "to_reconfirm": s.to_reconfirm}
                          for s in sorted(scores[c.id], key=lambda s: s.challenge)],
            "facilitator_ratings": [{"rater": users[r.rater_id].email, "challenge": r.challenge,
                                     "level": r.level, "comment": r.comment}
                                    for r in sorted(fac[c.id], key=lambda r: (
                                        users[r.rater_id].email, r.challenge))],
            "priorities": [{"rank": p.rank, "challenge": p.challenge,
                            "current_level": p.current_level, "target_level": p.target_level,
                            "reason": p.reason} for p in sorted(prios[c.id],
                                                                key=lambda p: p.rank)],
            "actions": [{"number": place[a.id]["number"], "challenge": a.challenge,
                         "title": a.title, "owner": a.owner, "due_on": a.due_on,
                         "status": a.status, "outcome": a.outcome, "notes": a.notes,
                         "carried_from": place.get(a.carried_from_id)}
                        for a in acts[c.id]],
            "feedback": [{"author": users[f.author_id].email, "body": f.body,
                          "created_at": f.created_at} for f in notes[c.id]],
        } for c in cycles],
    }
    doc |= {section.KEY: section.export(session, site) for section in SECTIONS}
    return ExchangeDoc.model_validate(doc)
