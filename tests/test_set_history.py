"""A site that moves learning set leaves its earlier cycles with the set they ran in."""

import csv
import io
from datetime import date, datetime

import time_machine

from imroc import clock
from imroc.models import SiteLearningSet
from imroc.services import set_history
from imroc.services.access import load_principal
from imroc.services.data_io import exports
from tests.core_loop import API, advance_to, ok, open_cycle, scores
from tests.factories import make_site
from tests.pages import Browser
from tests.pages import text as page_text

MARCH = datetime(2024, 3, 14, 12, tzinfo=clock.UK)


def _csv(client, url: str) -> dict[str, list[str]]:
    """A chart's CSV as site name -> its cells."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    return {row[0]: row[1:] for row in rows[1:]}


def _move(client, w, site, to_set) -> None:
    current = ok(client.get(f"{API}/sites/{site.id}", headers=w.h["programme"]))
    ok(client.patch(f"{API}/sites/{site.id}", headers=w.h["programme"],
                    json={"learning_set_id": to_set.id, "version": current["version"]}))


def _progress(client, w, ls) -> set[tuple[str, int, int]]:
    rows = ok(client.get(f"{API}/reports/progress?learning_set_id={ls.id}",
                         headers=w.h["programme"]))
    return {(r["site_name"], r["cycle_number"], r["level"]) for r in rows}


@time_machine.travel(MARCH)
def test_moving_a_site_keeps_its_earlier_cycles_with_the_old_set(client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)  # 8 January 2024, in Set A
    advance_to(client, lead, first["id"], "act")  # levels 1 agreed and signed off
    _move(client, w, w.site_a, w.set_b)  # 14 March 2024
    advance_to(client, lead, first["id"], "closed")  # opens cycle 2, now in Set B
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]
    assert (first["learning_set_id"], second["learning_set_id"]) == (w.set_a.id, w.set_b.id)

    # The progress API by set: each set has the cycles run in it, and only those.
    assert _progress(client, w, w.set_a) == {("Site A", 1, 1)}
    assert _progress(client, w, w.set_b) == set()

    # The dashboards: Set A keeps Site A's agreed levels; Set B has none from Set A's cycle.
    Browser(client, w.programme)
    assert _csv(client, f"/learning-sets/{w.set_a.id}/dashboard?chart=sites")["Site A"] == \
        ["1"] * 10
    assert _csv(client, f"/learning-sets/{w.set_b.id}/dashboard?chart=sites")["Site A"] == \
        [""] * 10
    old_board = page_text(client.get(f"/learning-sets/{w.set_a.id}/dashboard").text)
    assert "Site A" in old_board

    # Cycle 2 agreed in Set B counts there, and never in Set A.
    ok(client.put(f"{API}/cycles/{second['id']}/consensus", json=scores(3), headers=lead))
    ok(client.post(f"{API}/cycles/{second['id']}/consensus/sign-off", headers=lead))
    assert _progress(client, w, w.set_a) == {("Site A", 1, 1)}
    assert {(s, n) for s, n, _ in _progress(client, w, w.set_b)} == {("Site A", 2)}
    assert _csv(client, f"/learning-sets/{w.set_a.id}/dashboard?chart=sites")["Site A"] == \
        ["1"] * 10
    assert _csv(client, f"/learning-sets/{w.set_b.id}/dashboard?chart=sites")["Site A"] == \
        ["3"] * 10

    # The old set's facilitator still sees the cycles run in their set on its dashboard.
    Browser(client, w.facilitator)
    assert _csv(client, f"/learning-sets/{w.set_a.id}/dashboard?chart=sites")["Site A"] == \
        ["1"] * 10

    # The set's export has the cycles run in it.
    principal = load_principal(session, w.programme)
    old = exports.learning_set_export(session, principal=principal, ls=w.set_a).tables
    new = exports.learning_set_export(session, principal=principal, ls=w.set_b).tables
    assert [(r["site"], r["cycle"]) for r in old["cycles"]] == [("Site A", 1)]
    assert [(r["site"], r["cycle"]) for r in new["cycles"]] == [("Site A", 2)]


@time_machine.travel(MARCH)
def test_the_site_page_shows_all_its_cycles_and_marks_the_move(client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)
    advance_to(client, lead, first["id"], "act")
    _move(client, w, w.site_a, w.set_b)
    advance_to(client, lead, first["id"], "closed")
    Browser(client, w.lead)
    page = page_text(client.get(f"/sites/{w.site_a.id}").text)
    assert "Moved to learning set Set B in March 2024" in page
    # Newest first: cycle 2, then the move, then cycle 1 (which ran in Set A).
    assert page.index("Cycle 2") < page.index("Moved to learning set Set B") < \
        page.index("Cycle 1")


def test_a_cycle_belongs_to_the_set_the_site_was_in_on_its_dates(session, world):
    site = make_site(session, name="Mover", learning_set=world.set_b)
    session.add_all([
        SiteLearningSet(site_id=site.id, learning_set_id=world.set_a.id,
                        joined_on=date(2019, 4, 1), left_on=date(2021, 3, 1)),
        SiteLearningSet(site_id=site.id, learning_set_id=world.set_b.id,
                        joined_on=date(2021, 3, 1))])
    session.commit()
    assert set_history.set_on(session, site=site, on=date(2018, 1, 1)) == world.set_a.id
    assert set_history.set_on(session, site=site, on=date(2020, 6, 1)) == world.set_a.id
    assert set_history.set_on(session, site=site, on=date(2021, 3, 1)) == world.set_b.id
    no_history = make_site(session, name="Stayer", learning_set=world.set_b)
    assert set_history.set_on(session, site=no_history, on=date(2020, 6, 1)) == world.set_b.id
    between = make_site(session, name="Between", learning_set=world.set_b)
    session.add_all([
        SiteLearningSet(site_id=between.id, learning_set_id=world.set_a.id,
                        joined_on=date(2019, 4, 1), left_on=date(2020, 1, 1)),
        SiteLearningSet(site_id=between.id, learning_set_id=world.set_b.id,
                        joined_on=date(2021, 1, 1))])
    session.commit()
    assert set_history.set_on(session, site=between, on=date(2020, 6, 1)) is None
