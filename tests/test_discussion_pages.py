"""Discussion pages: the learning set's and the programme's threads, a thread with its
replies, forms that keep what was typed, CSRF, hiding a post, and links to them."""

import html
import re

from imroc.models import Post, Thread
from imroc.models.discussion import ThreadCreate
from imroc.services import discussion
from imroc.services.access import load_principal
from tests.checks import counts, error_beside, submit
from tests.factories import sign_in


def _thread(session, world, who=None, ls="set", **data):
    principal = load_principal(session, who or world.lead)
    return discussion.create_thread(session, principal=principal,
                                    ls=world.set_a if ls == "set" else None,
                                    data=ThreadCreate(**({"title": "Ward rounds",
                                                          "text": "How?"} | data)))


def test_a_member_starts_a_thread_in_their_learning_set_and_a_reply_follows(client, world):
    sign_in(client, world.member)
    page = f"/learning-sets/{world.set_a.id}/discussion"
    listing = client.get(page)
    assert listing.status_code == 200 and "Discussion in Set A" in listing.text
    assert "No threads yet" in listing.text
    made = submit(client, page, page, {"title": "Co-produced training",
                                       "text": "We ran *three* sessions.\n\n- one\n- two",
                                       "challenge": "2"})
    assert made.status_code == 303
    thread_url = made.headers["location"]
    shown = client.get(thread_url).text
    assert "<h1>Co-produced training</h1>" in shown
    assert "We ran <em>three</em> sessions." in shown and "<ul><li>one</li>" in shown
    replied = submit(client, thread_url, thread_url + "/posts", {"text": "Thank you"})
    assert replied.status_code == 303 and "#post-" in replied.headers["location"]
    assert "Thank you" in client.get(thread_url).text
    assert "Co-produced training" in client.get(page).text


def test_forms_come_back_with_what_was_typed_and_the_errors(client, session, world):
    sign_in(client, world.member)
    page = f"/learning-sets/{world.set_a.id}/discussion"
    before = counts((Thread, Post))
    bad = submit(client, page, page, {"title": "", "text": "Kept <as typed>"})
    assert bad.status_code == 422
    assert "Enter a title" in error_beside(bad.text, "title")
    assert "Kept &lt;as typed&gt;</textarea>" in bad.text
    thread = _thread(session, world)
    url = f"/threads/{thread.id}"
    empty = submit(client, url, url + "/posts", {"text": "  "})
    assert empty.status_code == 422 and "Enter your reply" in error_beside(empty.text, "text")
    assert counts((Thread, Post)) == {"thread": before["thread"] + 1,
                                      "post": before["post"] + 1}


def test_a_form_without_its_csrf_token_is_refused(client, session, world):
    sign_in(client, world.member)
    thread = _thread(session, world)
    before = counts((Post,))
    refused = client.post(f"/threads/{thread.id}/posts", data={"text": "Hi"},
                          follow_redirects=False)
    assert refused.status_code == 403 and counts((Post,)) == before


def test_people_of_another_learning_set_get_not_found(client, session, world):
    thread = _thread(session, world)
    for who in (world.member_b, world.other_facilitator):
        sign_in(client, who)
        assert client.get(f"/learning-sets/{world.set_a.id}/discussion").status_code == 404
        assert client.get(f"/threads/{thread.id}").status_code == 404
    sign_in(client, world.outsider)
    programme = _thread(session, world, ls=None, title="Across the programme")
    assert "Across the programme" in client.get("/discussion").text
    assert client.get(f"/threads/{programme.id}").status_code == 200


def test_a_facilitator_hides_a_post_and_others_see_a_placeholder(client, session, world):
    thread = _thread(session, world, who=world.member, text="Something unkind")
    [post] = session.exec(Post.__table__.select().where(Post.thread_id == thread.id)).all()
    url = f"/threads/{thread.id}"
    sign_in(client, world.facilitator)
    blank = submit(client, url, f"/posts/{post.id}/hide", {"reason": ""})
    assert blank.status_code == 422
    assert "Enter why the post is hidden" in error_beside(blank.text, f"reason-{post.id}")
    done = submit(client, url, f"/posts/{post.id}/hide", {"reason": "it names a patient"})
    assert done.status_code == 303
    moderator = html.unescape(client.get(url).text)
    assert (f"This post was hidden by {world.facilitator.name} because it names a patient"
            in moderator)
    sign_in(client, world.member)
    member = client.get(url).text
    assert "This post has been hidden." in member
    assert "Something unkind" not in member and "names a patient" not in member
    assert 'action="/posts/' not in member  # no hide form for those who may not moderate
    assert submit(client, url, f"/posts/{post.id}/hide",
                  {"reason": "x"}).status_code == 403
    assert submit(client, url, f"/posts/{post.id}/unhide", {}).status_code == 403
    sign_in(client, world.facilitator)
    assert "Show this post to everyone again" in client.get(url).text
    assert submit(client, url, f"/posts/{post.id}/unhide", {}).status_code == 303
    sign_in(client, world.member)
    assert "Something unkind" in client.get(url).text


def test_markup_in_titles_and_posts_stays_text(client, session, world):
    thread = _thread(session, world, title='<script>alert("t")</script>',
                     text='<img src=x onerror="alert(1)"> [x](javascript:alert(2))')
    sign_in(client, world.member)
    for url in (f"/threads/{thread.id}", f"/learning-sets/{world.set_a.id}/discussion"):
        page = client.get(url).text
        assert '<script>alert("t")' not in page and "&lt;script&gt;" in page
        assert "<img src=x" not in page and 'href="javascript' not in page
    # The notice of a reply carries the title as text too.
    sign_in(client, world.facilitator)
    submit(client, f"/threads/{thread.id}", f"/threads/{thread.id}/posts", {"text": "Reply"})
    sign_in(client, world.lead)
    assert '<script>alert("t")' not in client.get("/notifications").text


def test_threads_list_a_page_at_a_time(client, session, world):
    for n in range(discussion.PER_PAGE + 1):
        _thread(session, world, title=f"Thread number {n}")
    sign_in(client, world.member)
    first = client.get(f"/learning-sets/{world.set_a.id}/discussion").text
    assert len(re.findall(r'href="/threads/\d+"', first)) == discussion.PER_PAGE
    assert 'aria-label="Pages of threads"' in first
    second = client.get(f"/learning-sets/{world.set_a.id}/discussion?page=2").text
    assert "Thread number 0<" in second


def test_discussions_are_linked_from_the_header_home_and_the_learning_set(client, world):
    sign_in(client, world.member)
    home = client.get("/").text
    assert 'href="/discussion"' in home
    assert f'href="/learning-sets/{world.set_a.id}/discussion"' in home
    assert f'href="/learning-sets/{world.set_b.id}/discussion"' not in home
    sign_in(client, world.facilitator)
    set_page = client.get(f"/learning-sets/{world.set_a.id}").text
    assert f'href="/learning-sets/{world.set_a.id}/discussion"' in set_page
