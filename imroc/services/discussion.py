"""Discussion: threads in a learning set or across the programme, replies, and hiding a post
with a reason. Each write is one commit with its audit row; replies and @mentions notify."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from imroc import richtext
from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import Cycle, LearningSet, SharedChange, Site, User
from imroc.models.discussion import Post, PostCreate, PostPublic, Thread, ThreadCreate
from imroc.services import (
    access,
    access_changes,
    access_discussion,
    audit,
    change_library,
    frameworks,
    mentions,
    notices,
)
from imroc.services.access import Principal

PER_PAGE = 20


@dataclass(frozen=True)
class ThreadRow:
    """A thread as listed: who started it, how many posts, when the latest came."""

    thread: Thread
    author_name: str
    posts: int

    @property
    def last_post_at(self) -> datetime:
        return self.thread.last_post_at


def list_threads(session: Session, *, principal: Principal, ls: LearningSet | None,
                 page: int = 1, per_page: int = PER_PAGE) -> tuple[list[ThreadRow], int]:
    """A page of a learning set's threads (or the programme's when `ls` is None), the
    busiest first, and how many there are (two queries)."""
    if ls is not None:
        access_discussion.ensure_discuss_in_set(session, principal, ls)
    where = (Thread.learning_set_id == ls.id) if ls is not None else col(
        Thread.learning_set_id).is_(None)
    total = session.exec(select(func.count()).select_from(Thread).where(where)).one()
    counts = (select(Post.thread_id, func.count().label("n")).group_by(col(Post.thread_id))
              .subquery())
    rows = session.exec(
        select(Thread, User.name, counts.c.n).join(User, col(User.id) == Thread.author_id)
        .join(counts, counts.c.thread_id == Thread.id, isouter=True).where(where)
        .order_by(col(Thread.last_post_at).desc(), col(Thread.id).desc())
        .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [ThreadRow(t, name, n or 0) for t, name, n in rows], total


def get_thread(session: Session, *, thread_id: int, principal: Principal) -> Thread:
    """The thread, or 404 when unknown or not for this person."""
    return access_discussion.ensure_view_thread(session, principal, session.get(Thread, thread_id))


def get_discussion_set(session: Session, *, learning_set_id: int,
                       principal: Principal) -> LearningSet:
    """A learning set whose discussion the person may join, or 404."""
    return access_discussion.ensure_discuss_in_set(session, principal,
                                        session.get(LearningSet, learning_set_id))


def discussion_sets(session: Session, *, principal: Principal) -> list[LearningSet]:
    """The learning sets whose discussions the person may join, by name."""
    query = select(LearningSet).where(col(LearningSet.archived_at).is_(None)).order_by(
        col(LearningSet.name))
    if not principal.is_programme:
        ids = principal.facilitated_set_ids | access_discussion.member_set_ids(session, principal)
        query = query.where(col(LearningSet.id).in_(list(ids) or [-1]))
    return list(session.exec(query).all())


def _check_cycle(session: Session, principal: Principal, ls: LearningSet | None,
                 cycle_id: int | None) -> None:
    """A thread may be about a cycle its starter can see; in a learning set, one of a site
    of that set (so the thread never points its readers at another set's work)."""
    if cycle_id is None:
        return
    cycle = session.get(Cycle, cycle_id)
    site = session.get(Site, cycle.site_id) if cycle else None
    if site is None or not access.can_view_site(principal, site) or (
            ls is not None and ls.id not in (site.learning_set_id, cycle.learning_set_id)):
        raise Invalid({"cycle_id": "Choose a cycle of your own site, or of a site in this "
                                   "learning set"})


def _check_change(session: Session, principal: Principal, ls: LearningSet | None,
                  change_id: int | None) -> SharedChange | None:
    """A thread may be about a shared change its starter can read, in a place where every
    reader of the thread may read it too: a learning-set change in that set's threads."""
    if change_id is None:
        return None
    change = session.get(SharedChange, change_id)
    if not access_changes.can_view_change(session, principal, change) \
            or change.withdrawn_at is not None:
        raise Invalid({"change_id": "Choose a change from the library of changes that worked"})
    if change.scope == "learning_set" and (ls is None or ls.id != change.learning_set_id):
        raise Invalid({"change_id": "This change was shared with one learning set: discuss "
                                    "it in that set's threads"})
    return change


def create_thread(session: Session, *, principal: Principal, ls: LearningSet | None,
                  data: ThreadCreate) -> Thread:
    """Start a thread with its first post."""
    if ls is not None:
        access_discussion.ensure_discuss_in_set(session, principal, ls)
    _check_cycle(session, principal, ls, data.cycle_id)
    change = _check_change(session, principal, ls, data.change_id)
    now = utcnow()
    challenge = data.challenge if data.challenge is not None or change is None \
        else change.challenge
    thread = Thread(learning_set_id=ls.id if ls else None, title=data.title,
                    author_id=principal.user.id, challenge=challenge,
                    cycle_id=data.cycle_id, change_id=data.change_id, created_at=now,
                    last_post_at=now)
    session.add(thread)
    session.flush()
    post = Post(thread_id=thread.id, author_id=principal.user.id, body=data.text,
                created_at=now)
    session.add(post)
    session.flush()
    audit.record(session, actor=principal.user, action="start_thread", entity="thread",
                 entity_id=thread.id, after={"title": thread.title,
                                             "learning_set_id": thread.learning_set_id,
                                             "change_id": thread.change_id,
                                             "post_id": post.id})
    _tell(session, thread=thread, post=post, author=principal.user)
    session.commit()
    return thread


def add_post(session: Session, *, principal: Principal, thread: Thread,
             data: PostCreate) -> Post:
    """Reply in a thread: its earlier posters hear of it, and anyone @mentioned."""
    access_discussion.ensure_view_thread(session, principal, thread)
    now = utcnow()
    post = Post(thread_id=thread.id, author_id=principal.user.id, body=data.text,
                created_at=now)
    session.add(post)
    thread.last_post_at = now
    session.add(thread)
    session.flush()
    audit.record(session, actor=principal.user, action="post", entity="post",
                 entity_id=post.id, after={"thread_id": thread.id})
    _tell(session, thread=thread, post=post, author=principal.user)
    session.commit()
    return post


def _tell(session: Session, *, thread: Thread, post: Post, author: User) -> None:
    mentioned = access_discussion.thread_audience(
        session, thread, mentions.people(session, post.body)) - {author.id}
    earlier = set(session.exec(select(Post.author_id).where(
        Post.thread_id == thread.id, Post.id != post.id)).all())
    repliers = access_discussion.thread_audience(session, thread, list(earlier)) - {author.id} - mentioned
    notices.discussion_post(session, thread=thread, post_id=post.id, author=author.name,
                            mentioned=mentioned, repliers=repliers)


def hide_post(session: Session, *, principal: Principal, post_id: int, reason: str) -> Post:
    """Hide a post, saying why; the text is kept and the reason goes in the audit trail."""
    post = session.get(Post, post_id)
    thread = session.get(Thread, post.thread_id) if post else None
    if post is None or not access_discussion.can_view_thread(session, principal, thread):
        raise NotFound("Post not found")
    access_discussion.ensure_moderate_thread(session, principal, thread)
    if post.hidden_at is not None:
        raise Conflict("This post is already hidden")
    post.hidden_at, post.hidden_by, post.hidden_reason = utcnow(), principal.user.id, reason
    session.add(post)
    audit.record(session, actor=principal.user, action="hide_post", entity="post",
                 entity_id=post.id, before={"hidden": False},
                 after={"hidden": True, "reason": reason, "thread_id": thread.id})
    session.commit()
    return post


def unhide_post(session: Session, *, principal: Principal, post_id: int) -> Post:
    """Show a hidden post again (a moderator's mistake or a reason that has passed); the
    audit trail keeps that it was hidden, by whom and why."""
    post = session.get(Post, post_id)
    thread = session.get(Thread, post.thread_id) if post else None
    if post is None or not access_discussion.can_view_thread(session, principal, thread):
        raise NotFound("Post not found")
    access_discussion.ensure_moderate_thread(session, principal, thread)
    if post.hidden_at is None:
        raise Conflict("This post is not hidden")
    before = {"hidden": True, "reason": post.hidden_reason, "hidden_by": post.hidden_by}
    post.hidden_at, post.hidden_by, post.hidden_reason = None, None, None
    session.add(post)
    audit.record(session, actor=principal.user, action="unhide_post", entity="post",
                 entity_id=post.id, before=before,
                 after={"hidden": False, "thread_id": thread.id})
    session.commit()
    return post


def get_post_thread(session: Session, *, post_id: int, principal: Principal) -> Thread:
    """The thread of a post, 404 when either is not for this person."""
    post = session.get(Post, post_id)
    thread = session.get(Thread, post.thread_id) if post else None
    if thread is None or not access_discussion.can_view_thread(session, principal, thread):
        raise NotFound("Post not found")
    return thread


def list_posts(session: Session, *, principal: Principal, thread: Thread,
               post_id: int | None = None) -> list[PostPublic]:
    """The thread's posts (or one of them), oldest first, as this person may read them: a
    hidden post's text, who hid it and why only for those who may moderate (one query)."""
    moderator = access_discussion.can_moderate_thread(principal, thread)
    hider = User.__table__.alias("hider")
    query = (select(Post, User.name, hider.c.name).join(User, col(User.id) == Post.author_id)
             .join(hider, hider.c.id == Post.hidden_by, isouter=True)
             .where(Post.thread_id == thread.id).order_by(col(Post.id)))
    if post_id is not None:
        query = query.where(Post.id == post_id)
    rows = session.exec(query).all()
    out = []
    for post, author, hidden_by in rows:
        hidden = post.hidden_at is not None
        readable = not hidden or moderator
        out.append(PostPublic(
            id=post.id, thread_id=post.thread_id, author_id=post.author_id,
            author_name=author, created_at=post.created_at, hidden=hidden,
            text=post.body if readable else None,
            html=richtext.to_html(post.body) if readable else None,
            hidden_by_name=hidden_by if hidden and moderator else None,
            hidden_reason=post.hidden_reason if hidden and moderator else None))
    return out


def post_public(session: Session, *, principal: Principal, post_id: int) -> PostPublic:
    """One post as this person may read it."""
    thread = get_post_thread(session, post_id=post_id, principal=principal)
    return list_posts(session, principal=principal, thread=thread, post_id=post_id)[0]


def about(session: Session, *, principal: Principal, thread: Thread) -> dict:
    """What the thread is tied to, in words this person may read: the challenge, the
    cycle named only for those who may see its site, and the shared change named as the
    library names it to them."""
    out: dict = {"challenge": None, "cycle": None, "change": None}
    if thread.challenge is not None:
        out["challenge"] = challenge_names(session).get(thread.challenge,
                                                        f"Challenge {thread.challenge}")
    if thread.cycle_id is not None:
        cycle = session.get(Cycle, thread.cycle_id)
        site = session.get(Site, cycle.site_id)
        out["cycle"] = ({"text": f"Cycle {cycle.number} of {site.name}",
                         "href": f"/cycles/{cycle.id}"}
                        if access.can_view_site(principal, site) else {"text": "A site's cycle"})
    if thread.change_id is not None:
        change = session.get(SharedChange, thread.change_id)
        if access_changes.can_view_change(session, principal, change) \
                and change.withdrawn_at is None:
            found = change_library.view(session, principal=principal, change=change)
            who = found.label if found.shows_site else found.label[:1].lower() + found.label[1:]
            out["change"] = {"text": f"the shared change \u201c{change.title}\u201d from {who}",
                             "href": f"/changes/{change.id}"}
        else:
            out["change"] = {"text": "a shared change that is no longer shared"}
    return out


def change_to_discuss(session: Session, *, principal: Principal,
                      change_id: int | None) -> SharedChange | None:
    """The shared change a new thread's form is about ("Discuss this change"), when the
    person may read it; else None, and the form is about nothing in particular."""
    change = session.get(SharedChange, change_id) if change_id else None
    if change is None or change.withdrawn_at is not None \
            or not access_changes.can_view_change(session, principal, change):
        return None
    return change


def challenge_names(session: Session) -> dict[int, str]:
    """The ten challenges' numbers and short titles, for the forms and labels."""
    try:
        titles = frameworks.short_titles(session)
    except NotFound:
        return {}
    return {n: f"{n}. {title}" for n, title in enumerate(titles, start=1)}


def cycle_choices(session: Session, *, principal: Principal,
                  ls: LearningSet | None) -> list[tuple[int, str]]:
    """Cycles a new thread may be about: in a set, those of its sites the person sees; across
    the programme, those of the person's own sites."""
    query = select(Cycle.id, Cycle.number, Site.name, Site.id).join(
        Site, col(Site.id) == Cycle.site_id)
    if ls is not None:
        query = query.where(Site.learning_set_id == ls.id)
    else:
        query = query.where(col(Site.id).in_(list(principal.memberships) or [-1]))
    rows = session.exec(query.order_by(col(Site.name), col(Cycle.number))).all()
    return [(cid, f"Cycle {n} of {name}") for cid, n, name, sid in rows
            if principal.is_programme or sid in principal.memberships
            or (ls is not None and ls.id in principal.facilitated_set_ids)]
