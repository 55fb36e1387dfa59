"""Measures and their values over the JSON API: who may define and enter what, all-or-nothing
saves, safe concurrent edits, and the SPC reading of a series."""

from datetime import date, datetime

import pytest
import time_machine

from imroc import clock
from tests.core_loop import API, ok, rows

MONTHS = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(24)]  # Jan 2024 .. Dec 2025


def local(site_id: int, **extra) -> dict:
    return {"site_id": site_id, "name": "Peer support contacts", "kind": "count",
            "direction": "up", "starts_on": "2024-01-01", "unit": "contacts",
            "challenges": [3, 1]} | extra


def core(**extra) -> dict:
    return {"name": "People who feel hopeful", "kind": "ratio", "direction": "up",
            "numerator_label": "Answered yes", "denominator_label": "People asked",
            "scale": 100, "unit": "%", "target": 60, "starts_on": "2024-01-01"} | extra


def points(values, start: int = 0) -> dict:
    return {"points": [{"period": MONTHS[start + i].isoformat(), "value": v}
                       for i, v in enumerate(values)]}


def count(session, table: str = "data_point") -> int:
    return rows(session, f'SELECT count(*) FROM "{table}"')[0][0]



def test_who_may_define_measures(client, session, w):
    assert client.post(f"{API}/measures", json=core(), headers=w.h["lead"]).status_code == 403
    assert client.post(f"{API}/measures", json=core(), headers=w.h["facilitator"]).status_code == 403
    made = ok(client.post(f"{API}/measures", json=core(), headers=w.h["programme"]), 201)
    assert made["core"] is True and made["site_id"] is None and made["challenges"] == []
    mine = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)
    assert mine["challenges"] == [1, 3] and mine["core"] is False
    assert client.post(f"{API}/measures", json=local(w.site_a.id, name="Other"),
                       headers=w.h["member"]).status_code == 403
    # Someone of another site cannot even find site A to own a measure.
    assert client.post(f"{API}/measures", json=local(w.site_a.id, name="X"),
                       headers=w.h["member_b"]).status_code == 404
    # Everyone sees core measures; only those who see site A see its local one.
    assert ok(client.get(f"{API}/measures/{made['id']}", headers=w.h["member_b"]))["id"] == made["id"]
    assert client.get(f"{API}/measures/{mine['id']}", headers=w.h["member_b"]).status_code == 404
    assert ok(client.get(f"{API}/measures/{mine['id']}", headers=w.h["facilitator"]))
    names = [m["name"] for m in ok(client.get(f"{API}/measures", headers=w.h["member_b"]))]
    assert names == ["People who feel hopeful"]
    assert count(session, "measure") == 2


def test_measure_definitions_are_checked(client, session, w):
    bad = client.post(f"{API}/measures", json=core(numerator_label=""), headers=w.h["programme"])
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["detail"]] == ["numerator_label"]
    ok(client.post(f"{API}/measures", json=core(), headers=w.h["programme"]), 201)
    clash = client.post(f"{API}/measures", json=local(w.site_a.id, name="people who FEEL hopeful"),
                        headers=w.h["lead"])
    assert clash.status_code == 422 and clash.json()["detail"][0]["field"] == "name"
    for field, value in (("kind", "sum"), ("direction", "sideways"), ("challenges", [11]),
                         ("challenges", [2, 2]), ("target", "NaN"), ("frequency", "daily")):
        response = client.post(f"{API}/measures", json=local(w.site_a.id, **{field: value}),
                               headers=w.h["lead"])
        assert response.status_code == 422, (field, value)
        assert response.json()["detail"][0]["field"].split(".")[0] == field
    assert count(session, "measure") == 1


def test_a_start_date_is_moved_to_the_start_of_its_period(client, w):
    made = ok(client.post(f"{API}/measures", json=local(w.site_a.id, starts_on="2024-03-17",
                                                        frequency="quarterly"),
                          headers=w.h["lead"]), 201)
    assert made["starts_on"] == "2024-01-01"


def test_values_save_all_or_nothing(client, session, w):
    mid = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)["id"]
    url = f"{API}/sites/{w.site_a.id}/measures/{mid}/data"
    body = points([5, 6, 7, 8])
    body["points"][2]["value"] = -1  # a bad row in the middle
    refused = client.put(url, json=body, headers=w.h["member"])
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["detail"]] == ["points.2.value"]
    assert count(session) == 0
    for bad, field in (({"period": "2024-01-15", "value": 1}, "points.0.period"),
                       ({"period": "2999-01-01", "value": 1}, "points.0.period"),
                       ({"period": "2024-01-01"}, "points.0.value"),
                       ({"period": "2024-01-01", "value": "Infinity"}, "points.0.value")):
        response = client.put(url, json={"points": [bad]}, headers=w.h["member"])
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["field"] == field
    twice = {"points": [{"period": "2024-01-01", "value": 1}, {"period": "2024-01-01", "value": 2}]}
    assert client.put(url, json=twice, headers=w.h["member"]).status_code == 422
    assert count(session) == 0
    saved = ok(client.put(url, json=points([5, 6, 7, 8]), headers=w.h["member"]))
    assert [(p["period"], p["value"], p["version"]) for p in saved][:2] == [
        ("2024-01-01", 5.0, 1), ("2024-02-01", 6.0, 1)]
    assert rows(session, "SELECT count(*) FROM audit_event WHERE entity = 'data_point'")[0][0] == 1


def test_concurrent_corrections_are_refused_not_lost(client, session, w):
    mid = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)["id"]
    url = f"{API}/sites/{w.site_a.id}/measures/{mid}/data"
    ok(client.put(url, json=points([5, 6]), headers=w.h["member"]))
    # Someone who did not read the saved value cannot overwrite it.
    blind = client.put(url, json={"points": [{"period": "2024-01-01", "value": 9}]},
                       headers=w.h["lead"])
    assert blind.status_code == 409 and "Jan 2024" in blind.json()["detail"]
    first = {"points": [{"period": "2024-01-01", "value": 50, "version": 1,
                         "annotation": "Recount"}]}
    assert ok(client.put(url, json=first, headers=w.h["lead"]))[0]["version"] == 2
    # The second person read version 1 too: their change, and their new month, are refused.
    second = {"points": [{"period": "2024-01-01", "value": 51, "version": 1},
                         {"period": "2024-03-01", "value": 7}]}
    assert client.put(url, json=second, headers=w.h["member"]).status_code == 409
    assert rows(session, "SELECT period_start, value, version, annotation FROM data_point "
                         "ORDER BY period_start")[0][1:] == (50.0, 2, "Recount")
    assert count(session) == 2
    stale = client.delete(f"{url}/2024-01-01?version=1", headers=w.h["member"])
    assert stale.status_code == 409 and count(session) == 2
    assert client.delete(f"{url}/2024-01-01?version=2", headers=w.h["member"]).status_code == 204
    assert count(session) == 1


def test_who_may_enter_and_read_values(client, session, w):
    mid = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)["id"]
    core_id = ok(client.post(f"{API}/measures", json=core(), headers=w.h["programme"]), 201)["id"]
    url = f"{API}/sites/{w.site_a.id}/measures/{mid}/data"
    assert client.put(url, json=points([1]), headers=w.h["facilitator"]).status_code == 403
    assert client.put(url, json=points([1]), headers=w.h["programme"]).status_code == 403
    assert client.put(url, json=points([1]), headers=w.h["member_b"]).status_code == 404
    assert client.get(url, headers=w.h["other_facilitator"]).status_code == 404
    # A local measure of site A cannot be filled in under site B.
    assert client.put(f"{API}/sites/{w.site_b.id}/measures/{mid}/data", json=points([1]),
                      headers=w.h["member_b"]).status_code == 404
    assert count(session) == 0
    ratio = {"points": [{"period": "2024-01-01", "numerator": 3, "denominator": 4}]}
    saved = ok(client.put(f"{API}/sites/{w.site_b.id}/measures/{core_id}/data", json=ratio,
                          headers=w.h["member_b"]))
    assert saved[0]["value"] == 75.0
    no_denominator = {"points": [{"period": "2024-02-01", "numerator": 3, "denominator": 0}]}
    response = client.put(f"{API}/sites/{w.site_b.id}/measures/{core_id}/data",
                          json=no_denominator, headers=w.h["member_b"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "points.0.denominator"
    assert ok(client.get(url, headers=w.h["facilitator"])) == []


def test_the_spc_reading_of_two_years(client, session, w):
    mid = ok(client.post(f"{API}/measures", json=local(w.site_a.id, target=11),
                         headers=w.h["lead"]), 201)["id"]
    url = f"{API}/sites/{w.site_a.id}/measures/{mid}"
    # Twelve stable months around 10, then a year around 14: a shift upwards, improving.
    first_year = [10, 11, 9, 10, 10, 11, 9, 10, 11, 9, 10, 10]
    second_year = [14, 13, 15, 14, 14, 13, 15, 14, 14, 15, 13, 14]
    ok(client.put(f"{url}/data", json=points(first_year + second_year), headers=w.h["member"]))
    spc = ok(client.get(f"{url}/spc", headers=w.h["facilitator"]))
    assert spc["chart"] == "xmr" and len(spc["points"]) == 24
    assert spc["variation"] == "special_cause_improving"
    assert {r["rule"] for r in spc["rules_in_force"]} == {"outside", "shift", "trend",
                                                          "two_of_three"}
    assert "shift" in spc["points"][-1]["rules"] and spc["trial_limits"] is False
    assert spc["summary"].startswith("The latest value is 14 contacts")
    # Rebase at the start of the second year: the new limits come from the new process.
    body = {"points": [{"period": "2025-01-01", "value": 14, "version": 1, "rebase": True}]}
    ok(client.put(f"{url}/data", json=body, headers=w.h["member"]))
    spc = ok(client.get(f"{url}/spc", headers=w.h["member"]))
    assert spc["points"][12]["centre"] == pytest.approx(sum(second_year) / 12)
    assert spc["points"][0]["centre"] == pytest.approx(sum(first_year) / 12)
    assert spc["variation"] == "common_cause"
    assert spc["assurance"] == "consistently_passes"  # its lower limit (about 11.1) clears 11
    assert "Limits recalculated from here" in spc["points"][12]["notes"]


@time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=clock.UK))
def test_pdsa_cycles_and_changes_appear_on_the_chart(client, session, w):
    from tests.core_loop import advance_to, open_cycle

    linked = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]),
                201)["id"]
    other = ok(client.post(f"{API}/measures", json=local(w.site_a.id, name="Other", challenges=[5]),
                           headers=w.h["lead"]), 201)["id"]
    this_month = date(2026, 6, 1)  # the change is dated by the pinned clock
    now = this_month.year * 12 + this_month.month - 1
    months = [date((now - k) // 12, (now - k) % 12 + 1, 1) for k in range(23, -1, -1)]
    assert months[-1] == this_month and months[0] < date(2025, 1, 1)
    body = {"points": [{"period": p.isoformat(), "value": i % 3} for i, p in enumerate(months)]}
    for mid in (linked, other):
        ok(client.put(f"{API}/sites/{w.site_a.id}/measures/{mid}/data", json=body,
                      headers=w.h["member"]))
    started = months[2].replace(day=9)
    cid = open_cycle(client, w.h["lead"], w.site_a.id, started_on=started.isoformat())["id"]
    advance_to(client, w.h["lead"], cid, "act")  # the plan's action under challenge 3 is adapted
    spc = ok(client.get(f"{API}/sites/{w.site_a.id}/measures/{linked}/spc", headers=w.h["lead"]))
    assert [(e["period"], e["text"]) for e in spc["events"]] == [
        (months[2].isoformat(), "Cycle 1 starts"),
        (this_month.isoformat(), "Change adapted (cycle 1): Co-produce care plans")]
    assert spc["points"][2]["notes"] == "Cycle 1 starts"
    # A measure of another challenge shows the cycle, not a change made for challenge 3.
    spc = ok(client.get(f"{API}/sites/{w.site_a.id}/measures/{other}/spc", headers=w.h["lead"]))
    assert [e["text"] for e in spc["events"]] == ["Cycle 1 starts"]


def test_a_run_chart_reads_the_median_and_quarters_and_weeks_are_periods(client, w):
    made = ok(client.post(f"{API}/measures", json=local(w.site_a.id, chart="run",
                                                        frequency="quarterly"),
                          headers=w.h["lead"]), 201)
    url = f"{API}/sites/{w.site_a.id}/measures/{made['id']}"
    quarters = ["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01", "2024-01-01",
                "2024-04-01", "2024-07-01", "2024-10-01"]
    body = {"points": [{"period": q, "value": v}
                       for q, v in zip(quarters, [1, 2, 3, 4, 5, 6, 7, 8], strict=True)]}
    ok(client.put(f"{url}/data", json=body, headers=w.h["member"]))
    spc = ok(client.get(f"{url}/spc", headers=w.h["member"]))
    assert spc["chart"] == "run" and spc["assurance"] is None
    assert {p["centre"] for p in spc["points"]} == {4.5}
    assert "trend" in spc["points"][-1]["rules"]  # five or more rising: a run-chart trend
    assert spc["variation"] == "special_cause_improving"
    off = client.put(f"{url}/data", json={"points": [{"period": "2024-02-01", "value": 1}]},
                     headers=w.h["member"])
    assert off.status_code == 422 and "first day of a quarter" in off.json()["detail"][0]["msg"]
    weekly = ok(client.post(f"{API}/measures", json=local(w.site_a.id, name="Weekly",
                                                          frequency="weekly",
                                                          starts_on="2024-01-03"),
                            headers=w.h["lead"]), 201)
    assert weekly["starts_on"] == "2024-01-01"  # the Monday of that week
    wurl = f"{API}/sites/{w.site_a.id}/measures/{weekly['id']}/data"
    assert client.put(wurl, json={"points": [{"period": "2024-01-02", "value": 1}]},
                      headers=w.h["member"]).status_code == 422
    ok(client.put(wurl, json={"points": [{"period": "2024-01-08", "value": 1}]},
                  headers=w.h["member"]))


def test_the_shift_rule_length_is_a_programme_setting(client, w, monkeypatch):
    from imroc.config import get_settings

    made = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)
    url = f"{API}/sites/{w.site_a.id}/measures/{made['id']}"
    # Six values above the mean at the end, none of them a trend or beyond a limit.
    values = [5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 7, 8, 7, 8, 7, 8]
    ok(client.put(f"{url}/data", json=points(values), headers=w.h["member"]))
    assert "shift" not in ok(client.get(f"{url}/spc", headers=w.h["member"]))["points"][-1]["rules"]
    monkeypatch.setenv("IMROC_SPC_SHIFT_LENGTH", "6")
    get_settings.cache_clear()
    try:
        spc = ok(client.get(f"{url}/spc", headers=w.h["member"]))
        assert "shift" in spc["points"][-1]["rules"]
        assert any(r["text"].startswith("6 or more points") for r in spc["rules_in_force"])
    finally:
        get_settings.cache_clear()


def test_eight_people_entering_the_same_new_month_at_once_let_exactly_one_win(client, session, w):
    from imroc.db import write_session
    from imroc.errors import Conflict
    from imroc.models import Measure, Site, User
    from imroc.models.measure import PointIn
    from imroc.services.access import load_principal
    from imroc.services.measures import values as measure_data
    from tests.core_loop import run_together

    mid = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)["id"]

    def enter(i, barrier):
        with write_session() as s:
            principal = load_principal(s, s.get(User, w.member.id))
            site, measure = s.get(Site, w.site_a.id), s.get(Measure, mid)
            s.commit()  # hold no lock while waiting for the others
            barrier.wait()
            saved = measure_data.save_points(s, site=site, measure=measure, principal=principal,
                                             points=[PointIn(period=date(2024, 5, 1), value=i)])
            return saved[0].value

    results = run_together(8, enter)
    winners = [r for r in results if isinstance(r, float)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 7, results
    assert rows(session, "SELECT value, version FROM data_point") == [(winners[0], 1)]
    assert rows(session, "SELECT count(*) FROM audit_event WHERE entity = 'data_point'") == [(1,)]


def test_missing_fields_are_asked_for_in_words_that_fit_a_measure(client, w):
    response = client.post(f"{API}/measures", json={"name": "X"}, headers=w.h["lead"])
    assert response.status_code == 422
    said = {e["field"]: e["msg"] for e in response.json()["detail"]}
    assert said["kind"] == "Select the kind of measure"
    assert said["direction"] == "Select which way is better"
    assert said["starts_on"] == "Enter the first period"


def test_refusals_change_nothing(client, session, w):
    """Each refusal of the measure API, with the data left as it was."""
    made = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]), 201)
    url = f"{API}/measures/{made['id']}"
    data = f"{API}/sites/{w.site_a.id}/measures/{made['id']}/data"
    ok(client.put(data, json=points([5]), headers=w.h["member"]))
    # A change from a stale version: 409 with the current record.
    ok(client.patch(url, json={"name": "Renamed", "version": 1}, headers=w.h["lead"]))
    stale = client.patch(url, json={"target": 3, "version": 1}, headers=w.h["lead"])
    assert stale.status_code == 409 and stale.json()["current"]["name"] == "Renamed"
    assert rows(session, "SELECT target, version FROM measure") == [(None, 2)]
    # Nothing to remove for a month with no value.
    assert client.delete(f"{data}/2024-03-01?version=1", headers=w.h["member"]).status_code == 404
    # A first period more than a year ahead.
    far = client.post(f"{API}/measures", json=local(w.site_a.id, name="Later",
                                                    starts_on="2999-01-01"), headers=w.h["lead"])
    assert far.status_code == 422 and far.json()["detail"][0]["field"] == "starts_on"
    # An archived measure takes no more values.
    ok(client.patch(url, json={"archived": True, "version": 2}, headers=w.h["lead"]))
    archived = client.put(data, json=points([6], start=1), headers=w.h["member"])
    assert archived.status_code == 409 and "archived" in archived.json()["detail"]
    assert count(session) == 1 and count(session, "measure") == 1


def test_a_changes_marker_stays_where_its_outcome_was_decided(client, session, w):
    """Fixing a typo in an adopted action later does not move its marker on the chart."""
    from tests.core_loop import advance_to, open_cycle

    linked = ok(client.post(f"{API}/measures", json=local(w.site_a.id), headers=w.h["lead"]),
                201)["id"]
    months = [date(2026, m, 1) for m in range(1, 8)]
    ok(client.put(f"{API}/sites/{w.site_a.id}/measures/{linked}/data", headers=w.h["member"],
                  json={"points": [{"period": p.isoformat(), "value": 3} for p in months]}))
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=clock.UK), tick=False):
        cid = open_cycle(client, w.h["lead"], w.site_a.id, started_on="2026-02-02")["id"]
        advance_to(client, w.h["lead"], cid, "act")  # adapted on 10 March
    [action] = ok(client.get(f"{API}/cycles/{cid}/actions", headers=w.h["lead"]))
    with time_machine.travel(datetime(2026, 6, 20, 12, tzinfo=clock.UK), tick=False):
        ok(client.patch(f"{API}/actions/{action['id']}", headers=w.h["lead"],
                        json={"title": "Co-produce care plans (typo fixed)",
                              "version": action["version"]}))
        spc = ok(client.get(f"{API}/sites/{w.site_a.id}/measures/{linked}/spc",
                            headers=w.h["lead"]))
    changes = [(e["period"], e["text"]) for e in spc["events"] if e["text"].startswith("Change")]
    assert changes == [("2026-03-01", "Change adapted (cycle 1): Co-produce care plans "
                                      "(typo fixed)")]
