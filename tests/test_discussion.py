"""Discussion over the JSON API: who sees which threads, posting, replies and @mentions as
notices and e-mails, hiding a post with a reason, and stored markup staying inert."""

import pytest
from sqlmodel import select

from imroc.db import write_session
from imroc.models import AuditEvent, Notification, Post, Thread, User
from imroc.models.cycle import CycleCreate
from imroc.models.discussion import ThreadCreate
from imroc.services import cycles, discussion, mail
from imroc.services.access import load_principal
from tests.checks import counts, live_tags, load
from tests.core_loop import ok
from tests.factories import make_member

SET_ROLES = {"member": 201, "lead": 201, "facilitator": 201, "programme": 201, "admin": 201,
             "other_facilitator": 404, "member_b": 404, "outsider": 404}


def _start(client, w, role="lead", where=None, **body):
    where = where or f"/api/v1/learning-sets/{w.set_a.id}/threads"
    data = {"title": "Peer workers on wards", "text": "How did you start?"} | body
    return client.post(where, headers=w.h[role], json=data)


def _notices(user, kind=None):
    return [n for n in load(Notification, user_id=user.id) if kind is None or n.kind == kind]


@pytest.fixture
def w(w, client):
    from tests.factories import api_token

    w.h |= {role: api_token(client, w.by_role(role)) for role in SET_ROLES if role not in w.h}
    return w


@pytest.mark.parametrize(("role", "status"), SET_ROLES.items())
def test_a_learning_sets_threads_are_for_its_people_facilitators_and_the_programme_team(
        client, w, role, status):
    before = counts((Thread, Post))
    r = _start(client, w, role)
    assert r.status_code == status, r.text
    listing = client.get(f"/api/v1/learning-sets/{w.set_a.id}/threads", headers=w.h[role])
    assert listing.status_code == (200 if status == 201 else 404)
    if status == 404:
        assert counts((Thread, Post)) == before
        made = ok(_start(client, w, "lead"), 201)
        assert client.get(f"/api/v1/threads/{made['id']}/posts",
                          headers=w.h[role]).status_code == 404
        assert client.post(f"/api/v1/threads/{made['id']}/posts", headers=w.h[role],
                           json={"text": "Hello"}).status_code == 404
        [post] = ok(client.get(f"/api/v1/threads/{made['id']}/posts", headers=w.h["lead"]))
        assert client.post(f"/api/v1/posts/{post['id']}/hide", headers=w.h[role],
                           json={"reason": "Off topic"}).status_code == 404
    else:
        [row] = listing.json()
        assert (row["title"], row["posts"], row["learning_set_id"]) == (
            "Peer workers on wards", 1, w.set_a.id)
        assert listing.headers["X-Total-Count"] == "1"


def test_programme_threads_are_for_everyone_signed_in(client, w):
    made = ok(_start(client, w, "member_b", where="/api/v1/threads"), 201)
    assert made["learning_set_id"] is None
    for role in ("outsider", "member", "other_facilitator"):
        [row] = ok(client.get("/api/v1/threads", headers=w.h[role]))
        assert row["id"] == made["id"]
        ok(client.post(f"/api/v1/threads/{made['id']}/posts", headers=w.h[role],
                       json={"text": f"From the {role}"}), 201)
    assert client.get("/api/v1/threads").status_code == 401
    # The set's threads stay out of the programme list, and the other way round.
    ok(_start(client, w), 201)
    assert [t["id"] for t in ok(client.get("/api/v1/threads", headers=w.h["member"]))] == [
        made["id"]]
    assert len(ok(client.get(f"/api/v1/learning-sets/{w.set_a.id}/threads",
                             headers=w.h["member"]))) == 1


def test_posting_replies_writes_an_audit_row_and_orders_threads_by_the_latest_post(client, w):
    first = ok(_start(client, w, title="First"), 201)
    second = ok(_start(client, w, title="Second"), 201)
    reply = ok(client.post(f"/api/v1/threads/{first['id']}/posts", headers=w.h["member"],
                           json={"text": "  We began with one ward.  "}), 201)
    assert (reply["text"], reply["author_id"], reply["hidden"]) == (
        "We began with one ward.", w.member.id, False)
    listed = ok(client.get(f"/api/v1/learning-sets/{w.set_a.id}/threads", headers=w.h["lead"]))
    assert [(t["title"], t["posts"]) for t in listed] == [("First", 2), ("Second", 1)]
    assert [e.action for e in load(AuditEvent, entity="post", entity_id=str(reply["id"]))] == [
        "post"]
    [started] = load(AuditEvent, entity="thread", entity_id=str(second["id"]))
    assert (started.action, started.actor_id) == ("start_thread", w.lead.id)
    bad = client.post(f"/api/v1/threads/{first['id']}/posts", headers=w.h["member"],
                      json={"text": "   "})
    assert bad.status_code == 422 and "text" in bad.text
    assert _start(client, w, title="Two\nlines").status_code == 422
    assert _start(client, w, challenge=11).status_code == 422


def test_a_thread_about_a_cycle_must_be_about_one_of_the_sets_sites(client, session, w):
    lead_b = make_member(session, site=w.site_b, role="site_lead")
    cycle_b = cycles.open_cycle(session, site=w.site_b, data=CycleCreate(),
                                principal=load_principal(session, lead_b))
    refused = _start(client, w, "programme", cycle_id=cycle_b.id, challenge=4)
    assert refused.status_code == 422 and "cycle_id" in refused.text
    cycle_a = cycles.open_cycle(session, site=w.site_a, data=CycleCreate(),
                                principal=load_principal(session, w.lead))
    made = ok(_start(client, w, cycle_id=cycle_a.id, challenge=4), 201)
    assert (made["cycle_id"], made["challenge"]) == (cycle_a.id, 4)


def test_threads_come_a_page_at_a_time(client, session, w):
    lead = load_principal(session, w.lead)
    for n in range(discussion.PER_PAGE + 3):
        discussion.create_thread(session, principal=lead, ls=w.set_a,
                                 data=ThreadCreate(title=f"Thread {n}", text="Text"))
    url = f"/api/v1/learning-sets/{w.set_a.id}/threads"
    page1 = client.get(url, headers=w.h["member"])
    page2 = ok(client.get(url + "?page=2", headers=w.h["member"]))
    assert len(page1.json()) == discussion.PER_PAGE and len(page2) == 3
    assert page1.headers["X-Total-Count"] == str(discussion.PER_PAGE + 3)
    assert page1.json()[0]["title"] == f"Thread {discussion.PER_PAGE + 2}"
    assert not {t["id"] for t in page1.json()} & {t["id"] for t in page2}


def test_replies_and_mentions_notify_in_the_product_and_by_email(client, w, mailbox):
    thread = ok(_start(client, w, "lead"), 201)
    ok(client.post(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"], json={
        "text": f"Ask @{w.facilitator.name}, and @{w.member_b.email} too."}), 201)
    [reply] = _notices(w.lead, "reply")
    assert reply.title == f"{w.member.name} replied in the discussion “Peer workers on wards”"
    assert reply.url.startswith(f"/threads/{thread['id']}#post-")
    [mention] = _notices(w.facilitator, "mention")
    assert mention.title.startswith(f"{w.member.name} mentioned you")
    # Site B's member may not open set A's threads, so hears nothing of them.
    assert _notices(w.member_b) == [] and _notices(w.member) == []
    mail.deliver()
    subjects = {m["To"].addresses[0].addr_spec: m["Subject"] for m in mailbox.messages}
    assert subjects[w.facilitator.email] == mention.title
    assert subjects[w.lead.email] == reply.title
    assert w.member_b.email not in subjects
    link = mailbox.link_in(next(m for m in mailbox.messages
                                if w.lead.email in m["To"]), "/threads/")
    assert link == reply.url


def test_people_s_mail_choices_apply_to_discussion_notices(client, w, mailbox):
    with write_session() as s:
        fay = s.get(User, w.facilitator.id)
        fay.mail_muted = "mention"
        s.add(fay)
        s.commit()
    thread = ok(_start(client, w, "lead"), 201)
    ok(client.post(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"],
                   json={"text": f"@{w.facilitator.name} what do you think?"}), 201)
    assert len(_notices(w.facilitator, "mention")) == 1  # still in the product
    mail.deliver()
    assert w.facilitator.email not in {m["To"].addresses[0].addr_spec
                                       for m in mailbox.messages}
    # A reply to your own thread by yourself tells no one.
    ok(client.post(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["lead"],
                   json={"text": "Thanks"}), 201)
    assert len(_notices(w.lead, "reply")) == 1 and len(_notices(w.member, "reply")) == 1


def test_facilitators_and_the_programme_team_hide_a_post_with_a_reason(client, session, w):
    thread = ok(_start(client, w, "member", text="Something unkind"), 201)
    [post] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    url = f"/api/v1/posts/{post['id']}/hide"
    assert client.post(url, headers=w.h["lead"], json={"reason": "No"}).status_code == 403
    assert client.post(url, headers=w.h["other_facilitator"],
                       json={"reason": "No"}).status_code == 404
    missing = client.post(url, headers=w.h["facilitator"], json={"reason": " "})
    assert missing.status_code == 422 and "reason" in missing.text
    hidden = ok(client.post(url, headers=w.h["facilitator"],
                            json={"reason": "it names a patient"}))
    assert (hidden["hidden"], hidden["hidden_by_name"], hidden["hidden_reason"]) == (
        True, w.facilitator.name, "it names a patient")
    assert hidden["text"] == "Something unkind"
    [seen] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    assert (seen["hidden"], seen["text"], seen["html"], seen["hidden_reason"],
            seen["hidden_by_name"]) == (True, None, None, None, None)
    [event] = load(AuditEvent, entity="post", entity_id=str(post["id"]), action="hide_post")
    assert (event.actor_id, event.before, event.after["reason"]) == (
        w.facilitator.id, {"hidden": False}, "it names a patient")
    again = client.post(url, headers=w.h["programme"], json={"reason": "Twice"})
    assert again.status_code == 409
    stored = session.exec(select(Post).where(Post.id == post["id"])).one()
    assert stored.body == "Something unkind" and stored.hidden_by == w.facilitator.id


def test_only_the_programme_team_hides_posts_in_programme_threads(client, w):
    thread = ok(_start(client, w, "member", where="/api/v1/threads"), 201)
    [post] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    url = f"/api/v1/posts/{post['id']}/hide"
    assert client.post(url, headers=w.h["facilitator"],
                       json={"reason": "Off topic"}).status_code == 403
    assert ok(client.post(url, headers=w.h["programme"],
                          json={"reason": "Off topic"}))["hidden"] is True


def test_a_moderator_shows_a_hidden_post_again_and_the_trail_keeps_both(client, w):
    thread = ok(_start(client, w, "member", text="Hidden by mistake"), 201)
    [post] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    ok(client.post(f"/api/v1/posts/{post['id']}/hide", headers=w.h["facilitator"],
                   json={"reason": "misread it"}))
    url = f"/api/v1/posts/{post['id']}/unhide"
    assert client.post(url, headers=w.h["lead"]).status_code == 403
    assert client.post(url, headers=w.h["other_facilitator"]).status_code == 404
    assert client.post(url, headers=w.h["member"]).status_code == 403
    shown = ok(client.post(url, headers=w.h["programme"]))
    assert (shown["hidden"], shown["hidden_by_name"], shown["hidden_reason"]) == (
        False, None, None)
    [seen] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    assert (seen["hidden"], seen["text"]) == (False, "Hidden by mistake")
    assert client.post(url, headers=w.h["programme"]).status_code == 409  # not hidden now
    [hid] = load(AuditEvent, entity="post", entity_id=str(post["id"]), action="hide_post")
    [unhid] = load(AuditEvent, entity="post", entity_id=str(post["id"]), action="unhide_post")
    assert hid.after["reason"] == "misread it"
    assert (unhid.actor_id, unhid.before["reason"], unhid.after["hidden"]) == (
        w.programme.id, "misread it", False)


MARKUP = ('<script>alert(1)</script><img src=x onerror="alert(2)"> '
          '[click](javascript:alert(3)) <a href="javascript:alert(4)">x</a> '
          '<iframe src="https://evil.example"></iframe>\n\n'
          '- **one**\n- see [NHS](https://www.nhs.uk/)')


def test_stored_markup_stays_inert(client, w):
    thread = ok(_start(client, w, title="<b>Bold</b><script>x()</script>", text=MARKUP), 201)
    assert thread["title"] == "<b>Bold</b><script>x()</script>"  # kept as typed, as data
    [post] = ok(client.get(f"/api/v1/threads/{thread['id']}/posts", headers=w.h["member"]))
    html = post["html"]
    tags = live_tags(html)
    assert {t for t, _ in tags} <= {"p", "ul", "ol", "li", "a", "em", "strong", "br"}
    assert all(name in ("href", "rel") for _, attrs in tags for name, _ in attrs)
    hrefs = [v for _, attrs in tags for n, v in attrs if n == "href"]
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<ul><li><strong>one</strong></li>' in html
    assert '<a href="https://www.nhs.uk/" rel="noopener nofollow">NHS</a>' in html
    assert post["text"] == MARKUP
