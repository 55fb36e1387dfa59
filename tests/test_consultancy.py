"""Consultancy days as dated entries: the API, the site's page, the warnings when a site passes
its allocation, the totals and the exports."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from imroc.models import AuditEvent, ConsultancyEntry, Site
from imroc.models.consultancy import ConsultancyEntryIn
from imroc.services import consultancy
from imroc.services.access import load_principal
from tests.checks import counts, error_beside, load, submit
from tests.factories import api_token, make_user, sign_in

TABLES = (ConsultancyEntry, AuditEvent)
GOOD = {"delivered_on": "2024-05-01", "days": 1.5, "purpose": "Co-production workshop",
        "delivered_by_name": "Pat Peer"}


def _give(session, world, site, *days, by=None):
    """Entries of these days for a site, recorded by the programme team."""
    principal = load_principal(session, world.programme)
    for n, d in enumerate(days, start=1):
        consultancy.create_entry(session, site=site, principal=principal, data=ConsultancyEntryIn(
            delivered_on=date(2024, 3, n), days=Decimal(str(d)), purpose=f"Visit {n}",
            delivered_by_id=by, delivered_by_name="" if by else "Pat Peer"))


def test_api_records_an_entry_and_the_site_sums_it(client, world):
    headers = api_token(client, world.programme)
    url = f"/api/v1/sites/{world.site_a.id}/consultancy"
    r = client.post(url, headers=headers, json=GOOD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["days"], body["delivered_by"], body["peer_trainer"]) == (1.5, "Pat Peer", True)
    r = client.post(url, headers=headers, json={**GOOD, "days": 2, "delivered_by_name": "",
                                                "delivered_by_id": world.programme.id})
    assert r.status_code == 201 and r.json()["delivered_by"] == "Pat Programme"
    summary = client.get(url, headers=headers).json()
    assert (summary["allocated"], summary["used"], summary["remaining"]) == (30, 3.5, 26.5)
    assert [e["days"] for e in summary["entries"]] == [1.5, 2]
    site = client.get(f"/api/v1/sites/{world.site_a.id}", headers=headers).json()
    assert site["consultancy_days_used"] == 3.5
    [event, _] = load(AuditEvent, entity="consultancy_entry")
    assert event.action == "create" and event.after["days"] == "1.5"
    assert event.actor_id == world.programme.id and event.site_id == world.site_a.id


BAD = [  # (change to a good entry, field, words)
    ({"days": 0.25}, "days", "whole or half days"),
    ({"days": 1.3}, "days", "whole or half days"),
    ({"days": 0}, "days", "more than 0"),
    ({"days": -1}, "days", "more than 0"),
    ({"days": 21}, "days", "20 or less"),
    ({"days": "lots"}, "days", "must be a number"),
    ({"days": True}, "days", "not true or false"),
    ({"delivered_on": "2024-02-30"}, "delivered_on", "real date"),
    ({"delivered_on": "1999-12-31"}, "delivered_on", "must be between"),
    ({"purpose": " "}, "purpose", "Enter what the consultancy was for"),
    ({"delivered_by_name": ""}, "delivered_by_id", "Select who"),
    ({"delivered_by_id": 99999, "delivered_by_name": ""}, "delivered_by_id",
     "from the project team"),
]


@pytest.mark.parametrize("change, field, words", BAD)
def test_api_refuses_bad_entries_naming_the_field(client, world, change, field, words):
    before = counts(TABLES)
    r = client.post(f"/api/v1/sites/{world.site_a.id}/consultancy",
                    headers=api_token(client, world.programme), json={**GOOD, **change})
    assert r.status_code == 422, r.text
    [detail] = [d for d in r.json()["detail"] if d["field"] == field]
    assert words in detail["msg"]
    assert counts(TABLES) == before


def test_only_the_project_team_delivers_and_both_people_is_refused(client, session, world):
    headers = api_token(client, world.programme)
    url = f"/api/v1/sites/{world.site_a.id}/consultancy"
    for person in (world.facilitator, world.admin):  # not the project team
        r = client.post(url, headers=headers, json={**GOOD, "delivered_by_name": "",
                                                    "delivered_by_id": person.id})
        assert r.status_code == 422 and "from the project team" in r.text
    r = client.post(url, headers=headers, json={**GOOD, "delivered_by_id": world.programme.id})
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["delivered_by_name"]
    gone = make_user(session, name="Gone Away", global_role="programme_team")
    gone.is_active = False
    session.add(gone)
    session.commit()
    r = client.post(url, headers=headers, json={**GOOD, "delivered_by_name": "",
                                                "delivered_by_id": gone.id})
    assert r.status_code == 422 and load(ConsultancyEntry) == []


@pytest.mark.parametrize("role", ["member", "lead", "facilitator"])
def test_who_sees_the_site_reads_but_only_the_programme_team_records(client, session, world,
                                                                     role):
    _give(session, world, world.site_a, 2)
    user = world.by_role(role)
    headers = api_token(client, user)
    url = f"/api/v1/sites/{world.site_a.id}/consultancy"
    assert client.get(url, headers=headers).json()["used"] == 2
    assert client.post(url, headers=headers, json=GOOD).status_code == 403
    [entry] = load(ConsultancyEntry)
    assert client.delete(f"{url}/{entry.id}?version=1", headers=headers).status_code == 403
    assert len(load(ConsultancyEntry)) == 1


def test_days_used_cannot_be_written(client, world):
    headers = api_token(client, world.programme)
    r = client.patch(f"/api/v1/sites/{world.site_a.id}", headers=headers,
                     json={"consultancy_days_used": 4})
    assert r.status_code == 422
    [detail] = r.json()["detail"]
    assert detail == {**detail, "field": "consultancy_days_used", "msg":
                      "Consultancy days used is worked out from the consultancy entries"}
    r = client.post("/api/v1/sites", headers=headers,
                    json={"name": "New", "kind": "pilot", "consultancy_days_used": 0})
    assert r.status_code == 422 and load(Site, name="New") == []
    assert load(Site, id=world.site_a.id)[0].version == 1


def test_delete_takes_the_days_away_and_a_stale_version_is_refused(client, session, world):
    _give(session, world, world.site_a, 3, 1)
    headers = api_token(client, world.programme)
    url = f"/api/v1/sites/{world.site_a.id}/consultancy"
    first = load(ConsultancyEntry)[0]
    assert client.delete(f"{url}/{first.id}?version=2", headers=headers).status_code == 409
    assert client.delete(f"{url}/{first.id}?version=1", headers=headers).status_code == 204
    assert client.get(url, headers=headers).json()["used"] == 1
    assert client.delete(f"/api/v1/sites/{world.site_b.id}/consultancy/{first.id}?version=1",
                         headers=headers).status_code == 404
    assert [e.action for e in load(AuditEvent, entity="consultancy_entry")] == [
        "create", "create", "delete"]


def _form(**over) -> dict:
    data = {"delivered_on-day": "1", "delivered_on-month": "5", "delivered_on-year": "2024",
            "days": "2.5", "purpose": "Training for peer workers", "delivered_by_id": "",
            "delivered_by_name": "Sam Trainer"}
    return data | over


def test_the_page_records_an_entry_and_lists_it_with_a_total(client, session, world):
    _give(session, world, world.site_a, 1)
    sign_in(client, world.programme)
    url = f"/sites/{world.site_a.id}/consultancy"
    r = submit(client, url, url, _form())
    assert r.status_code == 303 and r.headers["location"] == f"{url}#entries"
    page = client.get(url).text
    assert "Sam Trainer (peer trainer)" in page and "Training for peer workers" in page
    assert 'id="days-total">3.5<' in page
    assert "Record consultancy days" in page
    assert "More consultancy days used than allocated" not in page


@pytest.mark.parametrize("typed, field, words", [
    ({"days": "0.3"}, "days", "whole or half days"),
    ({"days": "0"}, "days", "more than 0"),
    ({"delivered_on-month": "13"}, "delivered_on", "real date"),
    ({"delivered_on-day": ""}, "delivered_on", "must include a day"),
    ({"delivered_by_name": ""}, "delivered_by_id", "Select who"),
])
def test_the_page_shows_what_is_wrong_and_keeps_what_was_typed(client, world, typed, field,
                                                               words):
    sign_in(client, world.programme)
    url = f"/sites/{world.site_a.id}/consultancy"
    sent = _form(**typed)
    r = submit(client, url, url, sent)
    assert r.status_code == 422
    assert words in error_beside(r.text, field)
    assert "Training for peer workers</textarea>" in r.text
    assert f'value="{sent["days"]}"' in r.text and f'value="{sent["delivered_on-month"]}"' in r.text
    assert load(ConsultancyEntry) == []


def test_readers_see_the_page_without_the_form(client, session, world):
    _give(session, world, world.site_a, 1)
    sign_in(client, world.facilitator)
    page = client.get(f"/sites/{world.site_a.id}/consultancy").text
    assert "Visit 1" in page and "Record consultancy days" not in page and "Remove" not in page


def test_passing_the_allocation_is_allowed_and_shown_on_every_view(client, session, world):
    _give(session, world, world.site_b, 20, 10, 2.5)  # 32.5 of 30
    _give(session, world, world.site_a, 5)
    warning = "More consultancy days used than allocated"
    sign_in(client, world.programme)
    site_page = client.get(f"/sites/{world.site_b.id}").text
    assert warning in site_page and "has used 32.5 consultancy days of the 30" in site_page
    assert warning not in client.get(f"/sites/{world.site_a.id}").text
    assert warning in client.get(f"/sites/{world.site_b.id}/consultancy").text
    programme = client.get("/programme").text
    assert warning in programme and "Site B</a> has used 32.5 days of the 30" in programme
    assert "Site A</a> has used" not in programme
    set_b = client.get(f"/learning-sets/{world.set_b.id}/dashboard").text
    assert warning in set_b and "Site B</a> has used 32.5 days" in set_b
    hidden = client.get(f"/learning-sets/{world.set_b.id}/dashboard?anonymise=true").text
    assert warning in hidden and "Site B" not in hidden
    assert warning not in client.get(f"/learning-sets/{world.set_a.id}/dashboard").text


def test_totals_by_kind_learning_set_and_programme(client, session, world):
    _give(session, world, world.site_b, 20, 10, 2.5)
    _give(session, world, world.site_a, 5)
    totals = consultancy.totals(session)
    assert totals.by_kind == [("Pilot site", 60, Decimal("37.5"), 1)]
    assert totals.by_set == [("Set A", 30, Decimal(5), 0), ("Set B", 30, Decimal("32.5"), 1)]
    assert totals.programme == (60, Decimal("37.5"), 1)
    sign_in(client, world.programme)
    page = client.get("/programme").text
    assert "Consultancy days by kind of site" in page and ">37.5<" in page


def test_exports_list_the_entries_and_the_sum(client, session, world):
    _give(session, world, world.site_a, 2.5, by=world.programme.id)
    _give(session, world, world.site_a, 1)
    sign_in(client, world.programme)
    r = client.get(f"/sites/{world.site_a.id}/export?format=csv&table=consultancy")
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows == [["Site", "Date", "Days", "What it was for", "Delivered by", "Peer trainer"],
                    ["Site A", "2024-03-01", "2.5", "Visit 1", "Pat Programme", "No"],
                    ["Site A", "2024-03-01", "1", "Visit 1", "Pat Peer", "Yes"]]
    r = client.get(f"/sites/{world.site_a.id}/export?format=csv&table=sites")
    sites = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sites[0]["Consultancy days used"] == "3.5"
    hidden = client.get(f"/learning-sets/{world.set_a.id}/export?format=csv&table=consultancy"
                        "&anonymise=true").content.decode("utf-8-sig")
    assert "Pat Peer" not in hidden and "Pat Programme" not in hidden and "2.5" in hidden


def test_entries_as_plain_values_for_the_exchange_document(session, world):
    _give(session, world, world.site_a, 2.5, by=world.programme.id)
    _give(session, world, world.site_a, 1)
    assert consultancy.entries_as_dicts(session, site=world.site_a) == [
        {"delivered_on": date(2024, 3, 1), "days": Decimal("2.5"), "purpose": "Visit 1",
         "delivered_by": world.programme.email, "peer_trainer": None},
        {"delivered_on": date(2024, 3, 1), "days": Decimal(1), "purpose": "Visit 1",
         "delivered_by": None, "peer_trainer": "Pat Peer"}]
