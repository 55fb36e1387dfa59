"""Objectives reached on the pages: the cycle page's chain, the site dashboard and history,
the learning-set dashboard and presentation, the programme view."""

import re
from datetime import date

import pytest

from imroc.web.page_cache import BODIES
from tests.factories import sign_in
from tests.pages import text
from tests.test_objectives import add_cycle, history


@pytest.fixture(autouse=True)
def empty_cache():
    BODIES.clear()


def section(page: str, id_: str) -> str:
    """The text of the element with this id, up to the end of its table or paragraph."""
    match = re.search(rf'id="{id_}".*?(</table>|</p>)', page, re.S)
    assert match, f"no {id_} on the page"
    return text(match.group(0))


def test_cycle_page_carries_each_priority_to_the_level_agreed_next_time(client, session, w):
    one, _, three, _ = history(session, w.site_a)
    sign_in(client, w.member)
    chain = section(client.get(f"/cycles/{one.id}").text, "objectives")
    assert "From level 1 to level 3" in chain
    assert "Reached agreed level 3 at cycle 2" in chain
    assert "Partly agreed level 2 at cycle 2" in chain
    assert "Not yet agreed level 1 at cycle 2" in chain
    page = client.get(f"/cycles/{three.id}").text
    assert "Not rescored yet no later signed-off assessment yet" in section(page, "objectives")
    sign_in(client, w.member_b)
    assert client.get(f"/cycles/{one.id}").status_code == 404


def test_cycle_page_names_the_actions_and_measures_of_each_priority(client, session, w):
    from imroc.models import Action, Measure, MeasureChallenge

    one = add_cycle(session, w.site_a, 1, {4: 1}, priorities={4: (1, 2)})
    session.add(Action(cycle_id=one.id, challenge=4, title="Leaders walk the wards",
                       status="done"))
    measure = Measure(name="Staff who feel supported", kind="count", direction="up",
                      site_id=w.site_a.id, starts_on=date(2023, 1, 1))
    session.add(measure)
    session.commit()
    session.add(MeasureChallenge(measure_id=measure.id, challenge=4))
    session.commit()
    sign_in(client, w.lead)
    chain = section(client.get(f"/cycles/{one.id}").text, "objectives")
    assert re.search(r"1 action ?, 1 done", chain), chain
    assert "Staff who feel supported" in chain


def test_site_dashboard_and_history_show_objectives_reached(client, session, w):
    history(session, w.site_a)
    sign_in(client, w.facilitator)
    board = section(client.get(f"/sites/{w.site_a.id}/dashboard").text, "objectives-summary")
    assert re.search(r"All challenges 3 1 2 1 7", board), board
    page = client.get(f"/sites/{w.site_a.id}/history").text
    rows = section(page, "objectives")
    assert "Cycle 1 5. " in rows and "Not yet agreed level 1 at cycle 2" in rows
    assert "Cycle 3 3. " in rows and "Not rescored yet" in rows


def test_learning_set_dashboard_and_presentation_count_objectives_by_challenge(
        client, session, w):
    history(session, w.site_a)
    add_cycle(session, w.site_b, 1, {1: 1}, priorities={1: (1, 2)})  # another set's
    sign_in(client, w.facilitator)
    for url in (f"/learning-sets/{w.set_a.id}/dashboard", f"/learning-sets/{w.set_a.id}/present"):
        table = section(client.get(url).text, "objectives-summary")
        assert re.search(r"All challenges 3 1 2 1 7", table), (url, table)
        assert "2. Co-produced education and training 1 1 0 0 2" in table
    sign_in(client, w.other_facilitator)
    assert client.get(f"/learning-sets/{w.set_a.id}/dashboard").status_code == 404


def test_programme_view_counts_objectives_by_kind_and_learning_set(client, session, w):
    history(session, w.site_a)
    add_cycle(session, w.site_b, 1, {1: 1}, priorities={1: (1, 2)})
    add_cycle(session, w.site_b, 2, {1: 2})
    sign_in(client, w.programme)
    page = client.get("/programme").text
    assert re.search(r"All challenges 4 1 2 1 8", section(page, "objectives-summary"))
    assert "Pilot site 4 1 2 1 8" in section(page, "objectives-by-kind")
    by_set = section(page, "objectives-by-set")
    assert "Set A 3 1 2 1 7" in by_set and "Set B 1 0 0 0 1" in by_set
    filtered = client.get("/programme", params={"learning_set_id": w.set_b.id}).text
    assert re.search(r"All challenges 1 0 0 0 1", section(filtered, "objectives-summary"))
    sign_in(client, w.facilitator)
    assert client.get("/programme").status_code == 403


def test_no_priorities_yet_is_said_in_words(client, session, w):
    sign_in(client, w.lead)
    page = client.get(f"/sites/{w.site_a.id}/dashboard").text
    assert "No priorities have been set yet" in section(page, "objectives-summary")


def test_printed_site_and_set_reports_show_objectives_reached(client, session, w):
    history(session, w.site_a)
    sign_in(client, w.facilitator)
    page = client.get(f"/sites/{w.site_a.id}/report").text
    assert re.search(r"All challenges 3 1 2 1 7", section(page, "objectives-summary"))
    by_cycle = section(page, "objectives-by-cycle")
    assert "Cycle 1 1. Day-to-day interactions From level 1 to level 3 Reached: agreed level 3 " \
           "at cycle 2" in by_cycle
    assert "Cycle 3 3. Recovery college From level 3 to level 3 Not rescored yet" in by_cycle
    report = client.get(f"/learning-sets/{w.set_a.id}/report?anonymise=true").text
    assert re.search(r"All challenges 3 1 2 1 7", section(report, "objectives-summary"))
    pdf = client.get(f"/sites/{w.site_a.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_exported_priorities_carry_their_objective(client, session, w):
    import csv
    import io

    history(session, w.site_a)
    add_cycle(session, w.site_a, 5, {1: 1}, priorities={1: (1, 2)},
              learning_set_id=w.set_b.id)  # ran in another set
    sign_in(client, w.lead)
    response = client.get(f"/sites/{w.site_a.id}/export?format=csv&table=priorities")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Objective", "Level agreed next time"]
    got = {(r[1], r[3]): r[-2:] for r in rows[1:]}  # (cycle, challenge)
    assert got[("1", "1")] == ["reached", "3"]
    assert got[("1", "2")] == ["partly", "2"]
    assert got[("1", "5")] == ["not_yet", "1"]
    assert got[("2", "2")] == ["reached", "3"]
    assert got[("3", "3")] == got[("5", "1")] == ["no_rescore", ""]
    sign_in(client, w.facilitator)
    in_set = client.get(f"/learning-sets/{w.set_a.id}/export?format=csv&table=priorities")
    rows = list(csv.reader(io.StringIO(in_set.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 7 and ["reached", "3"] in [r[-2:] for r in rows]
