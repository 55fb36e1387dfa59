"""Sessions that end lose nothing: a form sent after the session lapsed is kept for its
sender, who signs in again and sends it; a signed-in page warns before the idle limit."""

from datetime import timedelta
from urllib.parse import unquote

from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import write_session
from imroc.models import AuthSession, KeptForm
from imroc.models.cycle import CycleCreate
from imroc.services import access, assessments, cycles
from tests.factories import PASSWORD, csrf_from, sign_in


def _lapse_sessions(minutes: int = 61) -> None:
    with write_session() as s:
        for row in s.exec(select(AuthSession)).all():
            row.last_seen_at = utcnow() - timedelta(minutes=minutes)
            s.add(row)
        s.commit()


def _sign_in_again(client, user) -> str:
    """Sign in through the form without clearing the browser's cookies (the kept one)."""
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                             "csrf_token": csrf_from(page.text),
                                             "next": "/kept-form"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _consensus_body(csrf: str) -> dict[str, str]:
    body = {"csrf_token": csrf}
    for c in range(1, 11):
        body[f"level_{c}"], body[f"rationale_{c}"] = "2", f"Agreed at the meeting <b>{c}</b>"
    return body


def _open(session, world):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=access.load_principal(session, world.lead))


def test_a_form_sent_after_the_session_lapsed_is_kept_and_sent_after_signing_in(
        client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    _lapse_sessions()
    sent = client.post(f"/cycles/{cycle.id}/consensus", data=_consensus_body(csrf),
                       follow_redirects=False)
    assert sent.status_code == 303
    assert unquote(sent.headers["location"]) == "/sign-in?next=/kept-form&ended=kept"
    assert assessments.list_consensus(session, cycle=cycle) == []  # not saved yet
    signin = client.get(sent.headers["location"]).text
    assert "You were signed out" in signin and "it has been kept" in signin

    assert _sign_in_again(client, world.lead) == "/kept-form"
    page = client.get("/kept-form")
    assert page.status_code == 200
    assert f'action="/cycles/{cycle.id}/consensus"' in page.text
    assert "Challenge 3: rationale" in page.text
    assert "Agreed at the meeting &lt;b&gt;3&lt;/b&gt;" in page.text  # shown as text
    assert "imroc_kept" in page.headers.get("set-cookie", "")  # the cookie is cleared

    # Sending it goes to the original form's own route, with the new session's token.
    form = page.text.split('id="kept-fields"')[0].split(f'action="/cycles/{cycle.id}/consensus"')[1]
    fields = dict(_hidden_inputs(form))
    assert "csrf_token" in fields and fields["csrf_token"] != csrf
    resent = client.post(f"/cycles/{cycle.id}/consensus", data=fields, follow_redirects=False)
    assert resent.status_code == 303, resent.text
    saved = {s.challenge: (s.level, s.rationale)
             for s in assessments.list_consensus(session, cycle=cycle)}
    assert saved == {c: (2, f"Agreed at the meeting <b>{c}</b>") for c in range(1, 11)}

    # It was handed back once: nothing is waiting any more.
    again = client.get("/kept-form").text
    assert "Nothing is waiting to be sent" in again
    with write_session() as s:
        assert s.exec(select(KeptForm)).all() == []


def _hidden_inputs(html: str) -> list[tuple[str, str]]:
    import html as h
    import re

    return [(h.unescape(n), h.unescape(v)) for n, v in
            re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)]


def test_someone_else_signing_in_on_the_same_browser_never_sees_it(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    _lapse_sessions()
    body = {"csrf_token": csrf, "level_1": "1", "rationale_1": "Only for the lead's eyes"}
    client.post(f"/cycles/{cycle.id}/consensus", data=body, follow_redirects=False)
    _sign_in_again(client, world.member)
    page = client.get("/kept-form").text
    assert "Nothing is waiting to be sent" in page
    assert "Only for the lead" not in page
    with write_session() as s:
        assert s.exec(select(KeptForm)).all() == []  # and it is gone for the lead too


def test_a_form_without_the_lapsed_sessions_token_is_refused_and_not_kept(client, session, world):
    cycle = _open(session, world)
    sign_in(client, world.lead)
    _lapse_sessions()
    body = {"csrf_token": "forged", "level_1": "1", "rationale_1": "From somewhere else"}
    refused = client.post(f"/cycles/{cycle.id}/consensus", data=body, follow_redirects=False)
    assert refused.status_code == 403
    cross = client.post(f"/cycles/{cycle.id}/consensus", data=body, follow_redirects=False,
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with write_session() as s:
        assert s.exec(select(KeptForm)).all() == []


def test_a_kept_form_older_than_an_hour_is_not_handed_back(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    _lapse_sessions()
    client.post(f"/cycles/{cycle.id}/consensus",
                data={"csrf_token": csrf, "level_1": "1", "rationale_1": "Long ago"},
                follow_redirects=False)
    with write_session() as s:
        [row] = s.exec(select(KeptForm)).all()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    _sign_in_again(client, world.lead)
    assert "Long ago" not in client.get("/kept-form").text


def test_an_htmx_save_after_the_session_lapsed_redirects_the_whole_page(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    _lapse_sessions()
    answer = client.post(f"/cycles/{cycle.id}/rate", data={"level_4": "2", "comment_4": "x"},
                         headers={"HX-Request": "true", "X-CSRF-Token": csrf},
                         follow_redirects=False)
    assert answer.status_code == 401
    assert unquote(answer.headers["HX-Redirect"]) == "/sign-in?next=/kept-form&ended=kept"


def test_a_page_asked_for_after_the_session_lapsed_says_why_sign_in_is_needed(client, world):
    sign_in(client, world.member)
    _lapse_sessions()
    answer = client.get("/sites", follow_redirects=False)
    assert answer.status_code == 303
    assert unquote(answer.headers["location"]) == "/sign-in?next=/sites&ended=1"
    assert "You were signed out" in client.get(answer.headers["location"]).text
    client.cookies.clear()  # a visitor who was never signed in is simply asked to sign in
    fresh = client.get("/sites", follow_redirects=False)
    assert "ended" not in fresh.headers["location"]


def test_signed_in_pages_warn_before_the_idle_limit_and_can_keep_the_session(client, world):
    csrf = sign_in(client, world.member)
    page = client.get("/").text
    assert 'id="session-warning"' in page
    assert 'data-limit-seconds="3540"' in page and 'data-warn-seconds="120"' in page
    assert "Stay signed in" in page
    _lapse_sessions(minutes=50)
    assert client.post("/session/keep-alive", follow_redirects=False).status_code == 403
    kept = client.post("/session/keep-alive", headers={"X-CSRF-Token": csrf})
    assert kept.status_code == 204
    with write_session() as s:
        [row] = s.exec(select(AuthSession)).all()
        assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_the_sign_in_page_has_no_session_warning(client):
    assert 'id="session-warning"' not in client.get("/sign-in").text


def test_a_form_sent_after_signing_out_is_not_kept(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    cookie = client.cookies["imroc_session"]
    client.post("/sign-out", data={"csrf_token": csrf})
    client.cookies.set("imroc_session", cookie)
    body = {"csrf_token": csrf, "level_1": "1", "rationale_1": "After signing out"}
    answer = client.post(f"/cycles/{cycle.id}/consensus", data=body, follow_redirects=False)
    assert answer.status_code == 403
    with write_session() as s:
        assert s.exec(select(KeptForm)).all() == []
