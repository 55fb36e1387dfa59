"""Discussion over JSON: a learning set's threads, the programme's, their posts, hiding."""

from fastapi import Query, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.models.discussion import PostCreate, PostHide, PostPublic, ThreadCreate, ThreadPublic
from imroc.services import discussion
from imroc.web.routing import Router

router = Router(tags=["discussion"])
Page = Query(default=1, ge=1, le=100000, description="Pages of 20 threads, busiest first")


def _public(row: discussion.ThreadRow) -> ThreadPublic:
    t = row.thread
    return ThreadPublic(id=t.id, learning_set_id=t.learning_set_id, title=t.title,
                        author_id=t.author_id, author_name=row.author_name,
                        challenge=t.challenge, cycle_id=t.cycle_id, change_id=t.change_id,
                        created_at=t.created_at,
                        last_post_at=t.last_post_at, posts=row.posts)


def _listing(response: Response, rows, total: int) -> list[ThreadPublic]:
    response.headers["X-Total-Count"] = str(total)
    return [_public(r) for r in rows]


@router.get("/learning-sets/{learning_set_id}/threads", response_model=list[ThreadPublic])
def set_threads(learning_set_id: PathId, session: SessionDep, principal: CurrentPrincipal,
                response: Response, page: int = Page) -> list[ThreadPublic]:
    ls = discussion.get_discussion_set(session, learning_set_id=learning_set_id,
                                       principal=principal)
    rows, total = discussion.list_threads(session, principal=principal, ls=ls, page=page)
    return _listing(response, rows, total)


@router.post("/learning-sets/{learning_set_id}/threads", response_model=ThreadPublic,
             status_code=201)
def start_set_thread(learning_set_id: PathId, data: ThreadCreate, session: SessionDep,
                     principal: CurrentPrincipal) -> ThreadPublic:
    ls = discussion.get_discussion_set(session, learning_set_id=learning_set_id,
                                       principal=principal)
    thread = discussion.create_thread(session, principal=principal, ls=ls, data=data)
    return _public(discussion.ThreadRow(thread, principal.user.name, 1))


@router.get("/threads", response_model=list[ThreadPublic])
def programme_threads(session: SessionDep, principal: CurrentPrincipal, response: Response,
                      page: int = Page) -> list[ThreadPublic]:
    rows, total = discussion.list_threads(session, principal=principal, ls=None, page=page)
    return _listing(response, rows, total)


@router.post("/threads", response_model=ThreadPublic, status_code=201)
def start_programme_thread(data: ThreadCreate, session: SessionDep,
                           principal: CurrentPrincipal) -> ThreadPublic:
    thread = discussion.create_thread(session, principal=principal, ls=None, data=data)
    return _public(discussion.ThreadRow(thread, principal.user.name, 1))


@router.get("/threads/{thread_id}/posts", response_model=list[PostPublic])
def thread_posts(thread_id: PathId, session: SessionDep,
                 principal: CurrentPrincipal) -> list[PostPublic]:
    thread = discussion.get_thread(session, thread_id=thread_id, principal=principal)
    return discussion.list_posts(session, principal=principal, thread=thread)


@router.post("/threads/{thread_id}/posts", response_model=PostPublic, status_code=201)
def reply(thread_id: PathId, data: PostCreate, session: SessionDep,
          principal: CurrentPrincipal) -> PostPublic:
    thread = discussion.get_thread(session, thread_id=thread_id, principal=principal)
    post = discussion.add_post(session, principal=principal, thread=thread, data=data)
    return discussion.post_public(session, principal=principal, post_id=post.id)


@router.post("/posts/{post_id}/hide", response_model=PostPublic)
def hide(post_id: PathId, data: PostHide, session: SessionDep,
         principal: CurrentPrincipal) -> PostPublic:
    discussion.hide_post(session, principal=principal, post_id=post_id, reason=data.reason)
    return discussion.post_public(session, principal=principal, post_id=post_id)


@router.post("/posts/{post_id}/unhide", response_model=PostPublic)
def unhide(post_id: PathId, session: SessionDep, principal: CurrentPrincipal) -> PostPublic:
    discussion.unhide_post(session, principal=principal, post_id=post_id)
    return discussion.post_public(session, principal=principal, post_id=post_id)
