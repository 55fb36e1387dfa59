"""The search page and the header's search box: results by kind with their counts, one
kind a page at a time, no results with tips, and stored markup kept inert."""

import re

import pytest

from imroc.models.search import KIND_LABELS, SEARCH_LABEL
from tests.change_factories import shared
from tests.checks import live_tags
from tests.factories import sign_in
from tests.search_data import API, a_cycle, a_thread, an_action, api, searchable_world


@pytest.fixture
def found(session):
    return searchable_world(session)


# --- markup stays text --------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


def test_stored_markup_stays_inert_in_the_results(client, session, world):
    world.site_a.name = f"Alertside {SCRIPT}"
    session.add(world.site_a)
    session.commit()
    cycle = a_cycle(session, world.site_a, aim=f"Alert {IMG} and {SCRIPT}")
    an_action(session, cycle, f"Alert {IMG}", f"Notes alert {SCRIPT}")
    a_thread(session, world.member, f"Alert {SCRIPT}", f"Alert {IMG} **bold**", ls=world.set_a)
    sign_in(client, world.member)
    page = client.get("/search", params={"q": "alert"})
    assert page.status_code == 200
    found = page.text.split('id="result-count"')[1].split("<footer")[0]
    assert found.count("<mark>") >= 8
    for tag, attrs in live_tags(found):
        assert tag not in ("script", "img"), (tag, attrs)
        assert not any(name.startswith("on") for name, _ in attrs)
    assert "&lt;script&gt;" in found and "&lt;img src=x onerror=" in found
    # Marked words inside stored markup are marked as text, never as part of a tag.
    assert "<mark>alert</mark>(&#39;x&#39;)&lt;/script&gt;" in found
    body = api(client, world.member, "alert")
    assert sum(body["counts"].values()) == 4
    assert any(SCRIPT in h["title"] for h in body["hits"])  # JSON carries the text as typed


# --- the page -----------------------------------------------------------------------------

def test_the_page_groups_results_by_kind_with_counts_and_links(client, session, found):
    for n in range(7):
        an_action(session, found.cycle_a, f"Recovery step {n}")
    sign_in(client, found.lead)
    page = client.get("/search", params={"q": "recovery"}).text
    assert "<title>Search results for recovery – ImROC self-audit</title>" in page
    assert "8 results for “recovery”" in page
    assert re.search(r'<h2 id="actions">Actions <span[^>]*>\(8\)</span></h2>', page)
    assert page.count('class="app-search-result"') == 5  # five of a kind on the first page
    assert 'href="/search?q=recovery&amp;kind=actions">See all 8 actions</a>' in page
    assert '<strong aria-current="page">All results (8)</strong>' in page
    assert "Sites (0)" in page and 'id="sites"' not in page
    alone = client.get("/search", params={"q": "recovery", "kind": "actions"}).text
    assert alone.count('class="app-search-result"') == 8 and "See all" not in alone
    assert '<strong aria-current="page">Actions (8)</strong>' in alone
    assert 'href="/search?q=recovery">All results (8)</a>' in alone


def test_one_kind_comes_a_page_at_a_time(client, session, world):
    cycle = a_cycle(session, world.site_a)
    for n in range(23):
        an_action(session, cycle, f"Wombat step {n:02d}")
    sign_in(client, world.lead)
    first = client.get("/search", params={"q": "wombat", "kind": "actions"}).text
    assert first.count('class="app-search-result"') == 20 and "Showing 1 to 20 of 23." in first
    assert 'href="/search?q=wombat&amp;kind=actions&amp;page=2"' in first
    second = client.get("/search", params={"q": "wombat", "kind": "actions", "page": 2}).text
    assert second.count('class="app-search-result"') == 3 and "Showing 21 to 23 of 23." in second
    past = client.get("/search", params={"q": "wombat", "kind": "actions", "page": 9})
    assert past.status_code == 200 and "No more actions for “wombat”" in past.text
    body = api(client, world.lead, "wombat", kind="actions", limit=5, offset=20)
    assert len(body["hits"]) == 3 and body["counts"]["actions"] == 23
    assert api(client, world.lead, "wombat", kind="actions", offset=40)["counts"]["actions"] == 23


def test_no_results_says_so_with_tips(client, world):
    sign_in(client, world.member)
    page = client.get("/search", params={"q": "<b>nothing</b>"})
    assert page.status_code == 200
    assert "No results for “&lt;b&gt;nothing&lt;/b&gt;”" in page.text
    assert "every word must appear in a result" in page.text


def test_the_form_alone_without_a_search(client, world):
    sign_in(client, world.member)
    page = client.get("/search")
    assert page.status_code == 200 and "<h1>Search</h1>" in page.text
    assert 'role="search"' in page.text and '<label class="nhsuk-label" for="q">' in page.text
    assert "There is a problem" not in page.text


def test_the_header_offers_search_to_people_signed_in(client, world):
    assert 'action="/search"' not in client.get("/sign-in").text
    sign_in(client, world.member)
    home = client.get("/").text
    assert 'action="/search"' in home and 'role="search"' in home
    assert re.search(r'<label class="nhsuk-label nhsuk-u-visually-hidden" for="search-field">'
                     r'\s*' + re.escape(SEARCH_LABEL) + r'\s*</label>', home)
    # The label names every kind a search finds.
    assert all(many in SEARCH_LABEL for _one, many in KIND_LABELS.values())
    # On the search page its own form is the one: the header has none.
    assert 'id="search-field"' not in client.get("/search?q=site").text


def test_search_needs_signing_in(client):
    page = client.get("/search?q=site", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    assert client.get(f"{API}?q=site").status_code == 401


def test_markup_in_a_shared_change_stays_text_in_the_results(client, session, world):
    shared(session, lead=world.lead, site=world.site_a, title=f"Alert {SCRIPT}",
           notes=f"Alert {IMG} in what was done")
    sign_in(client, world.member_b)  # another set: the programme's change only
    shared(session, lead=world.lead, site=world.site_a, scope="programme",
           title=f"Programme alert {IMG}")
    page = client.get("/search", params={"q": "alert", "kind": "changes"})
    assert page.status_code == 200
    found = page.text.split('id="result-count"')[1].split("<footer")[0]
    for tag, attrs in live_tags(found):
        assert tag not in ("script", "img"), (tag, attrs)
    assert "Programme alert &lt;img" in found.replace("<mark>", "").replace("</mark>", "")
    assert "&lt;script&gt;" not in found  # the set's change is not theirs to see
