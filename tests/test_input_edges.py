"""Input at the edges: far dates, huge numbers, blank and control-character text. Each is
refused with a 422 that names the field, changes nothing, and is never a 500."""

import json
from datetime import timedelta

import pytest

from imroc import clock
from tests.core_loop import API, ok, open_cycle, refused
from tests.factories import api_token, csrf_from, sign_in
from tests.pages import Browser, form_fields, typed_date


@pytest.mark.parametrize("started_on", ["9999-12-31", "9999-10-05", "9999-09-30", "1999-12-31"])
def test_a_cycle_cannot_start_off_the_calendar(client, session, w, started_on):
    body = refused(session, lambda: client.post(f"{API}/sites/{w.site_a.id}/cycles",
                                                json={"started_on": started_on},
                                                headers=w.h["lead"]), 422)
    [problem] = body["detail"]
    assert problem["loc"][-1] == "started_on"
    assert "must be between 1 January 2000 and" in problem["msg"]


def test_the_last_date_taken_is_two_years_ahead(client, w):
    latest = clock.today().replace(year=clock.today().year + 2) \
        if not (clock.today().month == 2 and clock.today().day == 29) \
        else clock.today().replace(year=clock.today().year + 2, day=28)
    ok(client.post(f"{API}/sites/{w.site_a.id}/cycles", json={
        "started_on": clock.today().isoformat(), "review_due_on": latest.isoformat()},
        headers=w.h["lead"]), 201)
    cid = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=w.h["lead"]))[0]["id"]
    too_far = (latest + timedelta(days=1)).isoformat()
    r = client.patch(f"{API}/cycles/{cid}", json={"review_due_on": too_far}, headers=w.h["lead"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "review_due_on"


def test_the_open_cycle_form_names_the_far_date_and_keeps_it(app, client, w):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as own:
        lead = Browser(own, w.lead)
        page = f"/sites/{w.site_a.id}"
        r = lead.submit(page, f"{page}/cycles", typed_date("started_on", "9999-12-31"),
                        status=422)
        assert "Start date must be between 1 January 2000" in r.text
        shown = form_fields(r.text, f"{page}/cycles")
        assert [shown[f"started_on-{part}"] for part in ("day", "month", "year")] == \
            ["31", "12", "9999"]


def test_every_date_field_has_the_range(client, session, w):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    checks = [
        ("PATCH", f"{API}/cycles/{cid}", {"review_due_on": "0001-01-01"}, "lead"),
        ("POST", f"{API}/learning-sets/{w.set_a.id}/meetings",
         {"held_on": "9999-12-31", "title": "Far"}, "programme"),
        ("POST", f"{API}/sites", {"name": "Far site", "kind": "pilot",
                                  "joined_on": "9999-12-31"}, "programme"),
    ]
    for method, url, body, who in checks:
        got = refused(session, lambda method=method, url=url, body=body, who=who:
                      client.request(method, url, json=body, headers=w.h[who]), 422)
        assert "must be between 1 January 2000" in got["detail"][0]["msg"], url


def test_an_exchange_document_with_a_huge_number_is_refused_plainly(client, session, w):
    programme = api_token(client, w.programme)
    doc = '{"format": "imroc-exchange", "format_version": ' + "9" * 5000 + "}"
    r = client.post(f"{API}/imports?dry_run=true", headers=programme,
                    files={"file": ("big.json", doc.encode(), "application/json")})
    assert r.status_code == 422
    assert "number too long" in json.dumps(r.json())


@pytest.mark.parametrize("text", ["   ", "\t \n"])
def test_blank_required_text_is_refused_through_the_api(client, session, w, text):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    for method, url, body, who, field in [
        ("POST", f"{API}/sites", {"name": text, "kind": "pilot"}, "programme", "name"),
        ("PATCH", f"{API}/sites/{w.site_a.id}", {"name": text}, "programme", "name"),
        ("POST", f"{API}/learning-sets", {"name": text}, "programme", "name"),
        ("POST", f"{API}/cycles/{cid}/actions", {"challenge": 1, "title": text}, "lead",
         "title"),
    ]:
        got = refused(session, lambda method=method, url=url, body=body, who=who:
                      client.request(method, url, json=body, headers=w.h[who]), 422)
        assert got["detail"][0]["loc"][-1] == field, (url, got)


def test_text_is_trimmed_the_same_way_in_the_api_and_the_forms(client, w):
    made = ok(client.post(f"{API}/learning-sets", json={"name": "  Spaced set  "},
                          headers=w.h["programme"]), 201)
    assert made["name"] == "Spaced set"


@pytest.mark.parametrize("bad", ["Nul\x00here", "Bell\x07", "Escape\x1b[31m", "Half \ud800"])
def test_control_characters_are_refused_at_input(client, session, w, bad):
    body = json.dumps({"name": bad})  # a lone surrogate travels as the JSON escape \ud800
    got = refused(session, lambda: client.post(
        f"{API}/learning-sets", content=body,
        headers={**w.h["programme"], "Content-Type": "application/json"}), 422)
    assert got["detail"][0]["loc"][-1] == "name"


def test_tabs_and_line_breaks_belong_only_in_long_text(client, session, w):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    got = refused(session, lambda: client.post(f"{API}/cycles/{cid}/actions", json={
        "challenge": 1, "title": "Two\nlines"}, headers=w.h["lead"]), 422)
    assert got["detail"][0]["loc"][-1] == "title" and "one line" in got["detail"][0]["msg"]
    ok(client.patch(f"{API}/cycles/{cid}", json={"aim": "First line\n\tSecond, indented"},
                    headers=w.h["lead"]))
    assert ok(client.get(f"{API}/cycles/{cid}", headers=w.h["lead"]))["aim"] == \
        "First line\n\tSecond, indented"


def test_a_blank_site_name_on_the_form_is_refused_as_the_api_refuses_it(app, client, w):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as own:
        sign_in(own, w.programme)
        programme = Browser(own, w.programme)
        r = programme.submit("/sites/new", "/sites", {"name": "   ", "kind": "pilot"},
                             status=422)
        assert "Enter the name" in r.text or "Enter a name" in r.text


def test_a_sign_in_address_with_a_nul_is_refused_by_name(app, client, session, w):
    from fastapi.testclient import TestClient

    r = client.post(f"{API}/auth/token", data={"username": f"{w.lead.email}\x00",
                                               "password": "anything"})
    assert r.status_code == 422, r.text
    [problem] = r.json()["detail"]
    assert problem["field"] == "username"
    assert problem["msg"] == "Email address has a character that cannot be stored " \
                             "(a control character)"
    with TestClient(app, base_url="https://testserver") as own:
        page = own.get("/sign-in")
        r = own.post("/sign-in", data={"email": "\x00", "password": "anything",
                                       "csrf_token": csrf_from(page.text)})
        assert r.status_code == 422
        assert "Email address has a character that cannot be stored" in r.text


def test_odd_shapes_are_explained_in_plain_english():
    from imroc.validation import reasons

    said = reasons([
        {"loc": ("body", "comment"), "type": "string_unicode", "msg": "x", "input": "\ud800"},
        {"loc": ("body", "archived"), "type": "bool_type", "msg": "x", "input": []},
        {"loc": ("body", "title"), "type": "string_type", "msg": "x", "input": 3},
        {"loc": ("query", "version"), "type": "int_parsing_size", "msg": "x", "input": "9" * 5000},
        {"loc": ("body", "due_on"), "type": "date_from_datetime_inexact", "msg": "x",
         "input": "2024-01-01T10:00"},
    ])
    assert said == {
        "comment": "Comment has a character that cannot be stored",
        "archived": "Select yes or no for archived",
        "title": "Title must be text",
        "version": "Version is far too large a number",
        "due_on": "Due date must be a date without a time, like 2024-03-31",
    }
