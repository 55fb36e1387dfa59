"""Search: each kind found by the people who may open it and by no one else, the words
matched literally and all together, bad searches refused plainly, excerpts, the same
number of statements at any size, and every result opening for its searcher."""

import html
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import event
from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import get_engine, read_session
from imroc.models import Post, Rating, Thread
from imroc.services import search
from tests.change_factories import shared
from tests.checks import error_beside
from tests.factories import api_token, make_learning_set, make_member, make_site, sign_in
from tests.search_data import (
    API,
    a_cycle,
    a_thread,
    an_action,
    api,
    searchable_world,
    titles,
)


@pytest.fixture
def found(session):
    return searchable_world(session)


# --- who finds what ----------------------------------------------------------------------

def test_each_kind_is_found_by_its_own_people(client, found):
    body = api(client, found.member, "SECLUSION")
    assert body["counts"] == {"sites": 0, "cycles": 1, "actions": 0, "changes": 0, "threads": 0}
    [hit] = body["hits"]
    assert hit | {"when": None} == {
        "kind": "cycles", "title": "Cycle 1", "field": "Aim", "when": None,
        "snippet": "Reduce seclusion on Willow ward", "place": "Site A",
        "url": f"/cycles/{found.cycle_a.id}#pdsa-record"}
    assert titles(api(client, found.member, "recovery college"), "actions") == {
        "Recovery college taster sessions"}
    assert titles(api(client, found.lead, "peer support"), "threads") == {
        "Peer support on Willow", "Peer support across the programme"}
    assert titles(api(client, found.member, "site"), "sites") == {"Site A"}
    # Found in the notes of an action and in a reply, linked to the reply itself.
    quokka = api(client, found.member, "quokka")
    assert titles(quokka, "actions") == {"Recovery college taster sessions"}
    [reply] = [h for h in quokka["hits"] if h["kind"] == "threads"]
    post_id = _post_id(found.thread_a, "Our quokka mascot")
    assert reply["url"] == f"/threads/{found.thread_a.id}#post-{post_id}"
    assert reply["field"] == "Post" and reply["place"] == "Discussion in Set A"


def _post_id(thread: Thread, starts: str) -> int:
    with read_session() as s:
        return s.exec(select(Post.id).where(Post.thread_id == thread.id,
                                            Post.body.startswith(starts))).one()


def test_another_sites_people_and_another_sets_facilitator_find_none_of_it(client, found):
    for who in (found.member_b, found.other_facilitator):
        body = api(client, who, "willow")
        assert body["hits"] == [] and sum(body["counts"].values()) == 0
        assert titles(api(client, who, "seclusion"), "cycles") == {"Cycle 1"}
        assert [h["place"] for h in api(client, who, "seclusion")["hits"]] == ["Site B"]
        assert titles(api(client, who, "peer support"), "threads") == {
            "Peer support on Birch", "Peer support across the programme"}
    # Someone of no site and no set finds only the programme's discussion.
    outsider = api(client, found.outsider, "peer")
    assert {h["kind"] for h in outsider["hits"]} == {"threads"}
    assert titles(outsider, "threads") == {"Peer support across the programme"}


def test_the_programme_team_finds_everything(client, found):
    for who in (found.programme, found.admin):
        body = api(client, who, "peer")
        assert titles(body, "threads") == {"Peer support on Willow", "Peer support on Birch",
                                           "Peer support across the programme"}
        assert body["counts"]["cycles"] == 0
        assert api(client, who, "seclusion")["counts"]["cycles"] == 2
        assert api(client, who, "recovery college")["counts"]["actions"] == 2
        assert titles(api(client, who, "site"), "sites") == {"Site A", "Site B"}


def test_a_facilitator_finds_their_sets_sites_only(client, session, found):
    also_in_a = make_site(session, name="Site C", learning_set=found.set_a)
    a_cycle(session, also_in_a, aim="Reduce seclusion on Cedar ward")
    body = api(client, found.facilitator, "seclusion")
    assert {h["place"] for h in body["hits"]} == {"Site A", "Site C"}
    assert titles(api(client, found.facilitator, "site"), "sites") == {"Site A", "Site C"}
    assert titles(api(client, found.facilitator, "peer support"), "threads") == {
        "Peer support on Willow", "Peer support across the programme"}


def test_a_member_reads_the_threads_of_their_sites_set_not_others(client, session, found):
    # A site's people read its learning set's threads whatever site of the set started them.
    a_thread(session, found.facilitator, "Set A meeting notes", "Peer review", ls=found.set_a)
    assert "Set A meeting notes" in titles(api(client, found.member, "peer"), "threads")
    assert "Set A meeting notes" not in titles(api(client, found.member_b, "peer"), "threads")


def test_hidden_posts_and_ratings_are_never_searched(client, session, found):
    rounds = a_thread(session, found.member, "Ward rounds", "Fine", "The zanzibar remark",
                      ls=found.set_a, hidden=(1,))
    session.add(Rating(cycle_id=found.cycle_a.id, rater_id=found.member.id,
                       perspective="staff", challenge=1, level=2, comment="zanzibar again"))
    session.commit()
    for who in (found.member, found.facilitator, found.programme):
        assert sum(api(client, who, "zanzibar")["counts"].values()) == 0
    # The thread's title is still found, shown with its first post that is not hidden.
    [hit] = api(client, found.member, "ward rounds")["hits"]
    assert hit["url"] == f"/threads/{rounds.id}" and hit["snippet"] == "Fine"


def test_a_thread_found_by_its_title_alone_links_to_the_thread(client, found):
    for q in ("willow peer", "support on willow"):
        [hit] = api(client, found.member, q)["hits"]
        assert hit["url"] == f"/threads/{found.thread_a.id}"
        assert hit["snippet"] == "We recruited two peer workers"


# --- the words ----------------------------------------------------------------------------

def test_percent_and_underscore_are_only_themselves(client, session, found):
    an_action(session, found.cycle_a, "Cut waiting by 50% this year")
    an_action(session, found.cycle_a, "Cut waiting by 500 days")
    an_action(session, found.cycle_a, "Rename ward_a", "")
    an_action(session, found.cycle_a, "Rename wardxa", "")
    an_action(session, found.cycle_a, r"Back\slash plan", "")
    assert titles(api(client, found.lead, "0%"), "actions") == {"Cut waiting by 50% this year"}
    assert titles(api(client, found.lead, "%%"), "actions") == set()
    assert titles(api(client, found.lead, "% this"), "actions") == {
        "Cut waiting by 50% this year"}
    assert titles(api(client, found.lead, "ward_a"), "actions") == {"Rename ward_a"}
    assert titles(api(client, found.lead, "d_"), "actions") == {"Rename ward_a"}
    assert titles(api(client, found.lead, "k\\s"), "actions") == {r"Back\slash plan"}


def test_every_word_must_appear_in_any_field_of_the_thing(client, found):
    assert api(client, found.programme, "seclusion willow")["counts"]["cycles"] == 1
    assert api(client, found.programme, "willow seclusion")["counts"]["cycles"] == 1
    assert api(client, found.programme, "seclusion oak")["counts"]["cycles"] == 0
    # Words found in different fields of one record: the aim and the study notes.
    assert api(client, found.programme, "willow third")["counts"]["cycles"] == 1
    # The same word twice is one word.
    assert api(client, found.programme, "Seclusion seclusion")["terms"] == ["Seclusion"]


def test_titles_holding_the_words_come_first(client, session, found):
    an_action(session, found.cycle_a, "Staff induction", "Mention the quokka to new staff")
    an_action(session, found.cycle_a, "Quokka photographs", "")
    body = api(client, found.lead, "quokka", kind="actions")
    assert [h["title"] for h in body["hits"]][0] == "Quokka photographs"


@pytest.mark.parametrize(("q", "message"), [
    ("a", "Enter at least 2 characters to search for"),
    ("  ", "Enter what you are looking for"),
    ("", "Enter what you are looking for"),
    ("x" * 201, "Your search must be 200 characters or fewer"),
    (" ".join(f"w{n}" for n in range(11)), "Search for 10 words or fewer"),
    ("bad\x00byte", "Your search has a character that cannot be searched for (a control "
                    "character)"),
])
def test_a_search_too_short_or_too_long_is_refused_plainly(client, world, q, message):
    headers = api_token(client, world.member)
    response = client.get(API, params={"q": q}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "q"], "field": "q", "msg": message,
                                          "type": "invalid"}]
    sign_in(client, world.member)
    page = client.get("/search", params={"q": q})
    assert page.status_code == 422
    assert message in error_beside(page.text, "q")
    if q.strip() and "\x00" not in q:
        assert f'value="{html.escape(q)}"' in page.text  # what was typed stays in the box


def test_the_longest_search_allowed_is_searched(client, world):
    assert api(client, world.member, "x" * 200)["counts"]["sites"] == 0
    assert api(client, world.member, "ab")["hits"] == []


def test_an_unknown_kind_is_refused_naming_it(client, world):
    response = client.get(API, params={"q": "site", "kind": "people"},
                          headers=api_token(client, world.member))
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "kind"], "field": "kind",
                                          "msg": "Select what to show", "type": "invalid"}]
    sign_in(client, world.member)
    page = client.get("/search", params={"q": "s", "kind": "people"})
    assert page.status_code == 422
    assert "Select what to show" in error_beside(page.text, "kind")
    assert "Enter at least 2 characters" in error_beside(page.text, "q")


def test_a_snippet_is_a_short_excerpt_around_the_first_word(client, session, world):
    long = ("Before " * 60) + "the pangolin moment " + ("after " * 60)
    cycle = a_cycle(session, world.site_a, do_notes=long)
    an_action(session, cycle, "Plain title", long)
    [hit, action] = api(client, world.lead, "pangolin")["hits"]
    assert hit["field"] == "What happened" and action["field"] == "Notes"
    for h in (hit, action):
        assert "pangolin moment" in h["snippet"] and len(h["snippet"]) <= 210
        assert h["snippet"].startswith("… Before") and h["snippet"].endswith(" …")


# --- what it costs ------------------------------------------------------------------------

def _statements(client, url: str, status: int = 200, **kw) -> int:
    seen: list[str] = []

    def listener(*args):
        seen.append(args[2])
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        assert client.get(url, **kw).status_code == status
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)
    return len(seen)


def _grow(session, world, n: int) -> None:
    big = make_learning_set(session, name=f"Big set {n}", facilitators=(world.facilitator,))
    for i in range(n):
        site = make_site(session, name=f"Grown site {n}-{i}", learning_set=big)
        make_member(session, site=site, user=world.member)
        cycle = a_cycle(session, site, aim=f"Grown seclusion aim {i}")
        an_action(session, cycle, f"Grown action {i}", "seclusion notes")
        a_thread(session, world.member, f"Grown seclusion thread {i}", "seclusion", "again",
                 ls=big)


def test_a_search_costs_the_same_statements_at_any_size(client, session, world):
    # The clock stands still, so the session's once-a-minute refresh is not counted.
    with time_machine.travel(utcnow(), tick=False):
        sign_in(client, world.member)
        urls = ["/search?q=seclusion", "/search?q=seclusion&kind=cycles",
                "/search?q=seclusion+grown&kind=threads"]
        small = [_statements(client, u) for u in urls]
        headers = api_token(client, world.member)
        api_small = _statements(client, f"{API}?q=seclusion", headers=headers)
        _grow(session, world, 30)
        large = [_statements(client, u) for u in urls]
        api_large = _statements(client, f"{API}?q=seclusion", headers=headers)
        refused = _statements(client, f"{API}?q=s", 422, headers=headers)
    assert small == large and api_small == api_large, (small, large, api_small, api_large)
    assert api_large - refused == len(search.SOURCES)  # one statement a kind


# --- every result opens -------------------------------------------------------------------

def test_every_result_opens_for_the_person_who_searched(client, session, found):
    a_thread(session, found.member, "Peer support rota", "First", "Peer support reply",
             ls=found.set_a)
    for role in ("member", "lead", "member_b", "facilitator", "other_facilitator",
                 "programme", "admin", "outsider"):
        user = found.by_role(role)
        headers = api_token(client, user)
        hits = [h for q in ("peer", "seclusion", "recovery", "site", "quokka", "willow")
                for h in client.get(API, params={"q": q}, headers=headers).json()["hits"]]
        assert hits, role
        sign_in(client, user)
        for hit in hits:
            url = urlsplit(hit["url"])
            page = client.get(url.path)
            assert page.status_code == 200, (role, hit["url"], page.status_code)
            if url.fragment:
                assert f'id="{url.fragment}"' in page.text, (role, hit["url"])


@pytest.mark.postgres_only
def test_postgres_matches_any_case_of_any_letter(client, session, world):
    a_cycle(session, world.site_a, aim="ÉCOLE de rétablissement")
    assert api(client, world.lead, "école")["counts"]["cycles"] == 1


# --- shared changes --------------------------------------------------------------------------

def test_shared_changes_are_found_as_the_library_shows_them(client, session, found):
    in_set = shared(session, lead=found.lead, site=found.site_a, title="Quokka ward rounds",
                    notes="Peer workers joined the numbat huddle")
    unnamed = shared(session, lead=found.lead, site=found.site_a, scope="programme",
                     anonymised=True, title="Numbat crisis plans",
                     notes="Plans written with the person")
    gone = shared(session, lead=found.lead, site=found.site_a, scope="programme",
                  title="Numbat withdrawn idea")
    gone.withdrawn_at = utcnow()
    session.add(gone)
    session.commit()

    def seen(who) -> dict[str, str]:
        body = api(client, who, "numbat")
        return {h["title"]: h["place"] for h in body["hits"] if h["kind"] == "changes"}

    # The sharing site's own people see both, named; no one sees a withdrawn change.
    assert seen(found.member) == {"Quokka ward rounds": "Site A", "Numbat crisis plans": "Site A"}
    # The set's facilitator and the programme team see both, one of them without its name.
    for who in (found.facilitator, found.programme):
        places = seen(who)
        assert places["Quokka ward rounds"] == "Site A"
        assert places["Numbat crisis plans"].startswith("A ") and "Site A" not in places[
            "Numbat crisis plans"], places
        assert set(places) == {"Quokka ward rounds", "Numbat crisis plans"}
    # Another set's people see only the programme's change, never the name that was hidden.
    for who in (found.member_b, found.other_facilitator):
        body = api(client, who, "numbat")
        assert [h["title"] for h in body["hits"]] == ["Numbat crisis plans"]
        assert "Site A" not in str(body)
    assert api(client, found.outsider, "numbat")["counts"]["changes"] == 0
    # Found in what was done, the excerpt says so; the link opens for the searcher.
    [hit] = [h for h in api(client, found.member, "huddle")["hits"] if h["kind"] == "changes"]
    assert (hit["field"], hit["url"]) == ("What was done", f"/changes/{in_set.id}")
    for who in (found.member, found.facilitator, found.member_b, found.programme):
        sign_in(client, who)
        for h in api(client, who, "numbat")["hits"]:
            assert client.get(h["url"]).status_code == 200, (who.name, h["url"])
    assert unnamed.id != in_set.id
