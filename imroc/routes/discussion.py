"""Discussion pages: a learning set's threads and the programme's, a thread with its
replies, and hiding a post. Forms re-render with what was typed when something is wrong."""

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.errors import Conflict, Invalid
from imroc.models import LearningSet
from imroc.models.discussion import PostCreate, PostHide, Thread, ThreadCreate
from imroc.services import access, access_discussion, discussion
from imroc.templating import render
from imroc.validation import MAX_INT, parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.paging import pages
from imroc.web.routing import Router

router = Router()
Page = Query(default=1, ge=1, le=100000)
# "Discuss this change": the start form is about that shared change.
ChangeParam = Query(default=None, ge=1, le=MAX_INT)


def _list_page(request, session, principal, ls: LearningSet | None, *, page: int = 1,
               values=None, errors=None, status=200) -> Response:
    errors = errors or {}
    values = values or {}
    about = discussion.change_to_discuss(session, principal=principal,
                                         change_id=_id(values.get("change_id")))
    rows, total = discussion.list_threads(session, principal=principal, ls=ls, page=page)
    path = f"/learning-sets/{ls.id}/discussion" if ls else "/discussion"
    paging = pages(path, {}, page=page, per_page=discussion.PER_PAGE, total=total)
    if paging:
        paging["ariaLabel"] = "Pages of threads"
    return render(request, "discussion/index.html", {
        "ls": ls, "rows": rows, "total": total, "paging": paging, "action": path,
        "can_see_set_page": ls is not None and access.can_view_learning_set(principal, ls),
        "challenges": list(discussion.challenge_names(session).items()),
        "cycles": discussion.cycle_choices(session, principal=principal, ls=ls),
        "change": about, "values": values, "errors": errors, "error_list": error_list(errors),
    }, status_code=status)


def _id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _thread_page(request, session, principal, thread: Thread, *, values=None, errors=None,
                 status=200) -> Response:
    errors = errors or {}
    ls = session.get(LearningSet, thread.learning_set_id) if thread.learning_set_id else None
    return render(request, "discussion/thread.html", {
        "thread": thread, "ls": ls,
        "posts": discussion.list_posts(session, principal=principal, thread=thread),
        "about": discussion.about(session, principal=principal, thread=thread),
        "can_moderate": access_discussion.can_moderate_thread(principal, thread),
        "values": values or {}, "errors": errors, "error_list": error_list(errors),
    }, status_code=status)


def _start(request, session, principal, ls, form) -> Response:
    values = fields(form, "title", "text", "challenge", "cycle_id", "change_id")
    try:
        thread = discussion.create_thread(session, principal=principal, ls=ls,
                                          data=parse(ThreadCreate, values))
    except Invalid as exc:
        return _list_page(request, session, principal, ls, values=values, errors=exc.errors,
                          status=422)
    return RedirectResponse(f"/threads/{thread.id}", status_code=303)


@router.get("/discussion")
def programme_list(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   page: int = Page, change_id: int | None = ChangeParam) -> Response:
    return _list_page(request, session, principal, None, page=page,
                      values={"change_id": change_id})


@router.post("/discussion")
def programme_start(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    form: Form) -> Response:
    return _start(request, session, principal, None, form)


@router.get("/learning-sets/{learning_set_id}/discussion")
def set_list(request: Request, session: SessionDep, principal: CurrentPrincipal,
             learning_set_id: PathId, page: int = Page,
             change_id: int | None = ChangeParam) -> Response:
    ls = discussion.get_discussion_set(session, learning_set_id=learning_set_id,
                                       principal=principal)
    return _list_page(request, session, principal, ls, page=page,
                      values={"change_id": change_id})


@router.post("/learning-sets/{learning_set_id}/discussion")
def set_start(request: Request, session: SessionDep, principal: CurrentPrincipal,
              learning_set_id: PathId, form: Form) -> Response:
    ls = discussion.get_discussion_set(session, learning_set_id=learning_set_id,
                                       principal=principal)
    return _start(request, session, principal, ls, form)


@router.get("/threads/{thread_id}")
def thread_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
                thread_id: PathId) -> Response:
    thread = discussion.get_thread(session, thread_id=thread_id, principal=principal)
    return _thread_page(request, session, principal, thread)


@router.post("/threads/{thread_id}/posts")
def thread_reply(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 thread_id: PathId, form: Form) -> Response:
    thread = discussion.get_thread(session, thread_id=thread_id, principal=principal)
    values = fields(form, "text")
    try:
        post = discussion.add_post(session, principal=principal, thread=thread,
                                   data=parse(PostCreate, values))
    except Invalid as exc:
        return _thread_page(request, session, principal, thread, values=values,
                            errors=exc.errors, status=422)
    return RedirectResponse(f"/threads/{thread.id}#post-{post.id}", status_code=303)


@router.post("/posts/{post_id}/hide")
def post_hide(request: Request, session: SessionDep, principal: CurrentPrincipal,
              post_id: PathId, form: Form) -> Response:
    thread = discussion.get_post_thread(session, post_id=post_id, principal=principal)
    access_discussion.ensure_moderate_thread(session, principal, thread)
    values = fields(form, "reason") | {"hide_post_id": post_id}
    try:
        discussion.hide_post(session, principal=principal, post_id=post_id,
                             reason=parse(PostHide, values).reason)
    except (Invalid, Conflict) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"reason": exc.message}
        return _thread_page(request, session, principal, thread, values=values,
                            errors={f"reason-{post_id}": errors["reason"]},
                            status=exc.status_code)
    return RedirectResponse(f"/threads/{thread.id}#post-{post_id}", status_code=303)


@router.post("/posts/{post_id}/unhide")
def post_unhide(request: Request, session: SessionDep, principal: CurrentPrincipal,
                post_id: PathId) -> Response:
    thread = discussion.get_post_thread(session, post_id=post_id, principal=principal)
    try:
        discussion.unhide_post(session, principal=principal, post_id=post_id)
    except Conflict:
        pass  # shown again already (a second press, or another moderator): nothing to do
    return RedirectResponse(f"/threads/{thread.id}#post-{post_id}", status_code=303)
