"""Where a search looks, one source per kind of thing: each one statement that finds only
what the person may open (access_search.py), every word in some field, best first.

A source is `(session, *, principal, terms, limit, offset) -> (hits, how many in all)`.
Individual ratings and their comments are never searched.
"""

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from imroc.models import Action, Cycle, LearningSet, Post, SharedChange, Site, SiteKind, Thread
from imroc.models.search import SearchKind
from imroc.services.access import Principal
from imroc.services.access_search import changes_visible, sites_visible, threads_visible
from imroc.services.change_library import unnamed
from imroc.services.search.words import (
    Hit,
    Terms,
    every_word,
    excerpt,
    found_in,
    page_of,
    words_in,
)

# The PDSA record's fields in its order, named as on the cycle's page.
PDSA_LABELS = {
    "aim": "Aim", "prediction": "Prediction", "measures": "Measures", "plan_notes": "Plan",
    "do_notes": "What happened", "study_notes": "What you learned",
    "act_notes": "Decision and next steps",
}


def _first_field(fields: list[tuple[str, str | None]], terms: Terms) -> tuple[str, str]:
    """(label, text) of the first field holding a word searched for (else the first with
    any text: the database may fold case further than Python for some letters)."""
    for label, text in fields:
        if found_in(text, terms):
            return label, text or ""
    return next(((label, text) for label, text in fields if text), (fields[0][0], ""))


def sites(session: Session, *, principal: Principal, terms: Terms, limit: int,
          offset: int) -> tuple[list[Hit], int]:
    """Sites by name, organisation, region and kind of site."""
    query = (select(Site.id, Site.name, Site.organisation, Site.region, SiteKind.label,
                    Site.updated_at, Site.archived_at, LearningSet.name.label("set_name"))
             .join(SiteKind, col(SiteKind.code) == Site.kind)
             .join(LearningSet, col(LearningSet.id) == Site.learning_set_id, isouter=True)
             .where(sites_visible(principal),
                    *every_word(terms, [Site.name, Site.organisation, Site.region,
                                        SiteKind.label]))
             .order_by(words_in(Site.name, terms).desc(), col(Site.updated_at).desc(),
                       col(Site.id).desc()))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    hits = []
    for r in rows:
        place = r.set_name or "Not in a learning set"
        hits.append(Hit(
            kind=SearchKind.sites, title=r.name, field="", url=f"/sites/{r.id}",
            snippet=" · ".join(t for t in (r.organisation, r.region, r.label) if t),
            when=r.updated_at,
            place=place + (" (archived site)" if r.archived_at is not None else "")))
    return hits, total


def cycles(session: Session, *, principal: Principal, terms: Terms, limit: int,
           offset: int) -> tuple[list[Hit], int]:
    """Cycles by their PDSA record: aim, prediction, measures and each stage's notes."""
    fields = [getattr(Cycle, name) for name in PDSA_LABELS]
    query = (select(Cycle.id, Cycle.number, Cycle.updated_at, Site.name, *fields)
             .join(Site, col(Site.id) == Cycle.site_id)
             .where(sites_visible(principal), *every_word(terms, fields))
             .order_by(words_in(Cycle.aim, terms).desc(), col(Cycle.updated_at).desc(),
                       col(Cycle.id).desc()))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    hits = []
    for r in rows:
        field, text = _first_field([(label, getattr(r, name))
                                    for name, label in PDSA_LABELS.items()], terms)
        hits.append(Hit(kind=SearchKind.cycles, title=f"Cycle {r.number}", field=field,
                        snippet=excerpt(text, terms), url=f"/cycles/{r.id}#pdsa-record",
                        when=r.updated_at, place=r.name))
    return hits, total


def actions(session: Session, *, principal: Principal, terms: Terms, limit: int,
            offset: int) -> tuple[list[Hit], int]:
    """Actions of a cycle's plan by title and notes (what happened, what was learned)."""
    query = (select(Action.id, Action.title, Action.notes, Action.updated_at,
                    Cycle.id.label("cycle_id"), Cycle.number, Site.name)
             .join(Cycle, col(Cycle.id) == Action.cycle_id)
             .join(Site, col(Site.id) == Cycle.site_id)
             .where(sites_visible(principal), *every_word(terms, [Action.title, Action.notes]))
             .order_by(words_in(Action.title, terms).desc(), col(Action.updated_at).desc(),
                       col(Action.id).desc()))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    hits = []
    for r in rows:
        hits.append(Hit(kind=SearchKind.actions, title=r.title,
                        field="Notes" if r.notes else "", snippet=excerpt(r.notes, terms),
                        url=f"/cycles/{r.cycle_id}/actions#action-{r.id}",
                        when=r.updated_at, place=f"{r.name}, cycle {r.number}"))
    return hits, total


def threads(session: Session, *, principal: Principal, terms: Terms, limit: int,
            offset: int) -> tuple[list[Hit], int]:
    """Discussion threads by title and the text of their posts, one hit per thread: the
    first post holding every word (else the first post), linked at its place. Hidden posts
    are never searched."""
    body_has_all = and_(*every_word(terms, [Post.body]))
    shown = and_(col(Post.thread_id) == Thread.id, col(Post.hidden_at).is_(None))
    matched = (
        select(Thread.id.label("thread_id"), Thread.title, Thread.learning_set_id,
               Post.id.label("post_id"), Post.body,
               func.coalesce(Post.created_at, Thread.created_at).label("written_at"),
               case((body_has_all, 1), else_=0).label("in_post"),
               func.row_number().over(partition_by=Thread.id, order_by=(
                   case((body_has_all, 0), else_=1), col(Post.id))).label("nth"))
        .select_from(Thread).join(Post, shown, isouter=True)
        .where(threads_visible(principal), *every_word(terms, [Thread.title, Post.body]))
        .subquery())
    query = (select(matched.c.thread_id, matched.c.title, matched.c.post_id, matched.c.body,
                    matched.c.written_at, matched.c.in_post, LearningSet.name.label("set_name"))
             .join(LearningSet, col(LearningSet.id) == matched.c.learning_set_id, isouter=True)
             .where(matched.c.nth == 1)
             .order_by(words_in(matched.c.title, terms).desc(), matched.c.written_at.desc(),
                       matched.c.thread_id.desc()))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    hits = []
    for r in rows:
        anchor = f"#post-{r.post_id}" if r.in_post else ""
        hits.append(Hit(kind=SearchKind.threads, title=r.title,
                        field="Post" if r.body else "", snippet=excerpt(r.body, terms),
                        url=f"/threads/{r.thread_id}{anchor}", when=r.written_at,
                        place=f"Discussion in {r.set_name}" if r.set_name
                        else "Programme discussion"))
    return hits, total


def changes(session: Session, *, principal: Principal, terms: Terms, limit: int,
            offset: int) -> tuple[list[Hit], int]:
    """Changes in the library of changes that worked, by title, what was done and the
    result; a site that asked not to be named is "A pilot site in ..." to others."""
    query = (select(SharedChange.id, SharedChange.title, SharedChange.what_was_done,
                    SharedChange.result, SharedChange.updated_at, SharedChange.anonymised,
                    SharedChange.site_id, Site.name, Site.kind,
                    SiteKind.label.label("kind_label"), LearningSet.name.label("set_name"))
             .join(Site, col(Site.id) == SharedChange.site_id)
             .join(SiteKind, col(SiteKind.code) == Site.kind, isouter=True)
             .join(LearningSet, col(LearningSet.id) == SharedChange.learning_set_id,
                   isouter=True)
             .where(changes_visible(principal), *every_word(
                 terms, [SharedChange.title, SharedChange.what_was_done, SharedChange.result]))
             .order_by(words_in(SharedChange.title, terms).desc(),
                       col(SharedChange.updated_at).desc(), col(SharedChange.id).desc()))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    hits = []
    for r in rows:
        field, text = next(((f, t) for f, t in (("What was done", r.what_was_done),
                                                ("Result", r.result)) if found_in(t, terms)),
                           ("What was done" if r.what_was_done else "", r.what_was_done))
        named = not r.anonymised or r.site_id in principal.memberships
        hits.append(Hit(kind=SearchKind.changes, title=r.title, field=field,
                        snippet=excerpt(text, terms), url=f"/changes/{r.id}",
                        when=r.updated_at, place=r.name if named
                        else unnamed(r.kind_label or r.kind, r.set_name)))
    return hits, total
