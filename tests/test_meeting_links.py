"""Tying a cycle to a learning-set meeting after it opens, and what each meeting brought."""

from imroc.models import Meeting
from tests.core_loop import API, advance_to, ok, open_cycle, refused
from tests.pages import Browser
from tests.pages import text as page_text


def _meeting(session, ls, title: str, held_on: str = "2024-02-01") -> Meeting:
    from datetime import date

    meeting = Meeting(learning_set_id=ls.id, held_on=date.fromisoformat(held_on), title=title)
    session.add(meeting)
    session.commit()
    return meeting


def test_the_cycle_opened_by_closing_the_last_is_tied_to_a_meeting_later(client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)
    advance_to(client, lead, first["id"], "closed")
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]
    assert second["number"] == 2 and second["meeting_id"] is None
    spring = _meeting(session, w.set_a, "Spring meeting: peer workers")
    linked = ok(client.patch(f"{API}/cycles/{second['id']}", headers=lead,
                             json={"meeting_id": spring.id, "version": second["version"]}))
    assert linked["meeting_id"] == spring.id
    assert ok(client.get(f"{API}/cycles/{second['id']}", headers=lead))["meeting_id"] == spring.id
    # The closed cycle 1 can be tied too (history), by the set's facilitator.
    closed = ok(client.patch(f"{API}/cycles/{first['id']}", headers=w.h["facilitator"],
                             json={"meeting_id": spring.id}))
    assert closed["meeting_id"] == spring.id

    # The meeting page lists both cycles with their stage and agreed levels (cycle 1: all 1).
    Browser(client, w.facilitator)
    page = page_text(client.get(f"/meetings/{spring.id}").text)
    assert "Spring meeting: peer workers" in page
    assert "Site A Cycle 1 Closed 1 1 1 1 1 1 1 1 1 1" in page
    assert "Site A Cycle 2 Assess (levels not agreed yet)" in page
    # The set's dashboard shows progress meeting by meeting.
    board = page_text(client.get(f"/learning-sets/{w.set_a.id}/dashboard").text)
    assert "Progress meeting by meeting" in board
    assert "Spring meeting: peer workers Site A Cycle 1 Closed 1 1 1 1 1 1 1 1 1 1" in board

    # Null unlinks.
    current = ok(client.get(f"{API}/cycles/{second['id']}", headers=lead))
    unlinked = ok(client.patch(f"{API}/cycles/{second['id']}", headers=lead,
                               json={"meeting_id": None, "version": current["version"]}))
    assert unlinked["meeting_id"] is None
    assert "Cycle 2" not in page_text(client.get(f"/meetings/{spring.id}").text)


def test_linking_a_meeting_is_refused_when_it_should_be(client, session, w):
    lead = w.h["lead"]
    cycle = open_cycle(client, lead, w.site_a.id)
    own = _meeting(session, w.set_a, "Set A meeting")
    other = _meeting(session, w.set_b, "Set B meeting")
    url = f"{API}/cycles/{cycle['id']}"
    body = refused(session, lambda: client.patch(url, headers=lead,
                                                 json={"meeting_id": other.id}), 422)
    assert "meeting_id" in str(body["detail"])
    assert "meeting_id" in str(refused(session, lambda: client.patch(
        url, headers=lead, json={"meeting_id": 999999}), 422)["detail"])
    refused(session, lambda: client.patch(url, headers=w.h["member"],
                                          json={"meeting_id": own.id}), 403)
    refused(session, lambda: client.patch(url, headers=w.h["other_facilitator"],
                                          json={"meeting_id": own.id}), 404)
    refused(session, lambda: client.patch(url, headers=lead, json={
        "meeting_id": own.id, "version": cycle["version"] + 5}), 409)
    # A facilitator links meetings but does not write the site's PDSA record.
    refused(session, lambda: client.patch(url, headers=w.h["facilitator"], json={
        "meeting_id": own.id, "aim": "Not theirs to write"}), 403)


def test_the_lead_ties_the_cycle_to_a_meeting_on_the_cycle_page(client, session, w):
    cycle = open_cycle(client, w.h["lead"], w.site_a.id)
    own = _meeting(session, w.set_a, "Autumn meeting")
    other = _meeting(session, w.set_b, "Set B meeting")
    page = f"/cycles/{cycle['id']}"
    lead = Browser(client, w.lead)
    lead.submit(page, f"{page}/meeting", {"meeting_id": str(own.id)})
    assert "Autumn meeting" in page_text(lead.get(page))
    assert ok(client.get(f"{API}/cycles/{cycle['id']}", headers=w.h["lead"]))["meeting_id"] \
        == own.id
    # A meeting of another set (a crafted form) is refused naming the field; nothing changes.
    shown = lead.submit(page, f"{page}/meeting", {"meeting_id": str(other.id)}, status=422)
    assert "Select a meeting of the learning set this cycle runs in" in page_text(shown.text)
    # A stale page: someone changed the cycle since it was loaded.
    stale = lead.get(page)
    lead.submit(page, f"{page}/meeting", {"meeting_id": ""})
    lead.submit(page, f"{page}/meeting", {"meeting_id": str(own.id)}, status=409,
                page_html=stale)
    assert ok(client.get(f"{API}/cycles/{cycle['id']}", headers=w.h["lead"]))["meeting_id"] \
        is None
    # A member sees the meeting but not the form, and a posted form is refused.
    member = Browser(client, w.member)
    assert f'action="{page}/meeting"' not in member.get(page)
    member.post(f"{page}/meeting", {"meeting_id": str(own.id)}, status=403)
    # The facilitator of the set has the form.
    facilitator = Browser(client, w.facilitator)
    facilitator.submit(page, f"{page}/meeting", {"meeting_id": str(own.id)})
