"""Imports find sites by their identifier (uid), date blank sign-offs by the cycle's own dates,
and the exchange document's version 2 carries the uid and the site's measures."""

import io
import json
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from openpyxl import load_workbook
from sqlmodel import select

from imroc.db import write_session
from imroc.models import Cycle, DataPoint, Measure, MeasureChallenge, Site
from imroc.services.data_io.imports import run_import
from tests.data_history import empty_database
from tests.factories import api_token, sign_in
from tests.pages import form_fields, text

pytestmark = pytest.mark.with_history  # the `world` fixture brings past cycles

CONSENSUS = "Site,Cycle,Cycle started on,Challenge,Agreed level\r\n"
CYCLES = "Site,Cycle,Stage,Started on,Review due on,Signed off (UTC),Closed (UTC)\r\n"


def upload(client, headers, data: bytes, *, dry_run: bool, name: str = "file.xlsx"):
    return client.post(f"/api/v1/imports?dry_run={'true' if dry_run else 'false'}",
                       headers=headers, files={"file": (name, data)})


def older_export_with_a_new_cycle(client, world) -> bytes:
    """Site B's workbook as exported today, with a cycle added to its Consensus sheet."""
    headers = api_token(client, world.programme)
    response = client.get(f"/api/v1/sites/{world.site_b.id}/export?format=xlsx", headers=headers)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    for challenge in (1, 2):
        book["Consensus"].append(["Site B", 1, date(2023, 1, 9), challenge, None, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def site_count(session) -> int:
    return len(session.exec(select(Site.id)).all())


# --- point 7: a stable identifier -------------------------------------------------------

def test_sites_have_a_uid_in_the_api(client, session, world):
    headers = api_token(client, world.programme)
    body = client.get(f"/api/v1/sites/{world.site_a.id}", headers=headers).json()
    assert body["uid"] == world.site_a.uid and str(uuid.UUID(body["uid"])) == body["uid"]
    made = client.post("/api/v1/sites", headers=headers, json={"name": "Fresh", "kind": "pilot"})
    assert made.status_code == 201, made.text
    assert made.json()["uid"] not in {world.site_a.uid, world.site_b.uid}


def test_after_a_rename_an_older_export_adds_to_the_same_site(client, session, world):
    data = older_export_with_a_new_cycle(client, world)
    headers = api_token(client, world.programme)
    version = client.get(f"/api/v1/sites/{world.site_b.id}", headers=headers).json()["version"]
    renamed = client.patch(f"/api/v1/sites/{world.site_b.id}", headers=headers,
                           json={"name": "Riverside Recovery", "version": version})
    assert renamed.status_code == 200, renamed.text
    sites = site_count(session)
    dry = upload(client, headers, data, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"]["sites"] == 0
    [line] = dry.json()["sites"]
    assert (line["name"], line["new"], line["existing_id"], line["matched_by"]) == (
        "Site B", False, world.site_b.id, "uid")
    assert line["message"] == ("Adds to Riverside Recovery (called Site B in the file), found "
                               "by its site identifier")
    done = upload(client, headers, data, dry_run=False)
    assert done.status_code == 200, done.text
    session.expire_all()
    assert site_count(session) == sites  # no duplicate "Site B"
    cycles = session.exec(select(Cycle).where(Cycle.site_id == world.site_b.id)).all()
    assert [c.number for c in cycles] == [1]


def test_without_a_uid_a_site_is_found_by_name_and_the_dry_run_says_so(client, world):
    headers = api_token(client, world.programme)
    csv = (CONSENSUS + "Site B,1,2023-01-09,1,2\r\nSite C,1,2023-01-09,1,1\r\n").encode()
    response = upload(client, headers, csv, dry_run=True, name="levels.csv")
    assert response.status_code == 422  # Site C is not in a Sites table
    sites = (b"Site,Kind of site\r\nSite C,pilot\r\n")
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sites.csv", sites)
        zf.writestr("consensus.csv", csv)
    response = upload(client, headers, buffer.getvalue(), dry_run=True, name="x.zip")
    assert response.status_code == 200, response.text
    lines = {s["name"]: s for s in response.json()["sites"]}
    assert lines["Site C"]["new"] and lines["Site C"]["message"] == "Site C is a new site"
    assert lines["Site B"]["matched_by"] == "name"
    assert lines["Site B"]["message"] == ("Adds to Site B, found by its name: the file gives "
                                          "no site identifier")


@pytest.mark.parametrize(("uid", "message"), [
    ("not-a-uid", "Must be a site identifier as an export gives it"),
    (str(uuid.UUID(int=7)), "A different site here is called Site B"),
])
def test_a_bad_or_clashing_uid_is_refused(client, session, world, uid, message):
    headers = api_token(client, world.programme)
    csv = f"Site,Kind of site,Site identifier\r\nSite B,pilot,{uid}\r\n".encode()
    sites = site_count(session)
    response = upload(client, headers, csv, dry_run=False, name="sites.csv")
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["message"].startswith(message)
    assert site_count(session) == sites


def test_a_new_site_keeps_the_uid_the_file_gives(client, session, world):
    uid = str(uuid.UUID(int=42))
    csv = f"Site,Kind of site,Site identifier\r\nSite Z,pilot,{uid}\r\n".encode()
    response = upload(client, api_token(client, world.programme), csv, dry_run=False,
                      name="sites.csv")
    assert response.status_code == 200, response.text
    assert session.exec(select(Site).where(Site.name == "Site Z")).one().uid == uid


def test_the_dry_run_page_says_which_site_each_adds_to(client, world):
    data = older_export_with_a_new_cycle(client, world)
    with write_session() as s:
        site = s.get(Site, world.site_b.id)
        site.name = "Riverside Recovery"
        s.commit()
    sign_in(client, world.programme)
    page = client.get("/data/import").text
    assert "stays the same when the site is renamed" in text(page)
    fields = form_fields(page, "/data/import")
    response = client.post("/data/import", data=fields, files={"file": ("x.xlsx", data)})
    assert response.status_code == 200, response.text
    words = text(response.text)
    assert "Site B : Adds to Riverside Recovery (called Site B in the file), found by its " \
           "site identifier" in words
    assert f'href="/sites/{world.site_b.id}"' in response.text


# --- point 8: blank "Signed off" ----------------------------------------------------------

@time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False)
def test_a_blank_sign_off_is_dated_by_the_cycle_and_the_dry_run_says_so(client, session,
                                                                        world):
    headers = api_token(client, world.programme)
    cycles = (CYCLES + "Site B,1,closed,2020-01-06,2020-04-06,,2020-06-30 09:00:00\r\n"
              "Site B,2,closed,2020-07-01,,,\r\n"
              "Site B,3,closed,2021-01-04,2021-04-05,,\r\n").encode()
    consensus = (CONSENSUS + "".join(f"Site B,{n},,1,{n}\r\n" for n in (1, 2, 3))).encode()
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("cycles.csv", cycles)
        zf.writestr("consensus.csv", consensus)
    data = buffer.getvalue()
    dry = upload(client, headers, data, dry_run=True, name="x.zip")
    assert dry.status_code == 200, dry.text
    assert dry.json()["sites"][0]["notes"] == [
        'Cycle 1: signed off on its closing date, 30 June 2020, since the file leaves '
        '"Signed off" blank',
        'Cycle 2: closed on 4 January 2021, the day cycle 3 started and signed off on its '
        'closing date, 4 January 2021, since the file leaves "Closed" and "Signed off" blank',
        'Cycle 3: closed on 5 April 2021, its review date and signed off on its closing date, '
        '5 April 2021, since the file leaves "Closed" and "Signed off" blank']
    assert upload(client, headers, data, dry_run=False, name="x.zip").status_code == 200
    rows = session.exec(select(Cycle).where(Cycle.site_id == world.site_b.id)
                        .order_by(Cycle.number)).all()
    assert [(c.signed_off_at.date(), c.closed_at.date()) for c in rows] == [
        (date(2020, 6, 30), date(2020, 6, 30)), (date(2021, 1, 4), date(2021, 1, 4)),
        (date(2021, 4, 5), date(2021, 4, 5))]  # never the day of the import (20 Nov 2026)
    from imroc.services.dashboards import aggregates

    assert aggregates.latest_levels(session, [world.site_b.id])[world.site_b.id][1] == 3


@time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False)
def test_agreed_levels_alone_are_dated_by_the_next_cycle_not_today(client, session, world):
    csv = (CONSENSUS + "Site B,1,2022-01-10,1,1\r\nSite B,2,2022-07-04,1,2\r\n").encode()
    response = upload(client, api_token(client, world.programme), csv, dry_run=False,
                      name="levels.csv")
    assert response.status_code == 200, response.text
    rows = session.exec(select(Cycle).where(Cycle.site_id == world.site_b.id)
                        .order_by(Cycle.number)).all()
    assert [c.closed_at.date() for c in rows] == [date(2022, 7, 4), date(2022, 7, 4)]
    assert [c.signed_off_at for c in rows] == [c.closed_at for c in rows]


def test_a_cycle_past_its_assessment_needs_its_sign_off_date(client, world):
    csv = (CYCLES + "Site B,1,do,2024-01-08,,,\r\n").encode()
    response = upload(client, api_token(client, world.programme), csv, dry_run=True,
                      name="cycles.csv")
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["row"], problem["column"]) == (2, "Signed off (UTC)")
    assert problem["message"].startswith("Cycle 1 is at the do stage")


def test_the_dry_run_page_lists_each_cycle_signed_off_by_its_own_date(client, world):
    sign_in(client, world.programme)
    page = client.get("/data/import").text
    assert ('A closed cycle whose "Signed off" date is blank is recorded as signed off on '
            "its closing date") in text(page)
    fields = form_fields(page, "/data/import")
    csv = (CYCLES + "Site B,1,closed,2020-01-06,,,2020-06-30 09:00:00\r\n").encode()
    response = client.post("/data/import", data=fields, files={"file": ("c.csv", csv)})
    assert response.status_code == 200, response.text
    assert ('Cycle 1: signed off on its closing date, 30 June 2020, since the file leaves '
            '"Signed off" blank') in text(response.text)


# --- exchange format version 2 -----------------------------------------------------------

def exported(client, world) -> dict:
    response = client.get(f"/api/v1/sites/{world.site_a.id}/exchange",
                          headers=api_token(client, world.programme))
    assert response.status_code == 200, response.text
    return response.json()


def import_document(doc: dict, *, dry_run: bool = False):
    with write_session() as session:
        return run_import(session, json.dumps(doc).encode(), principal=None, dry_run=dry_run,
                          max_bytes=10 * 1024 * 1024)


def add_measures(world) -> None:
    with write_session() as s:
        local = Measure(site_id=world.site_a.id, name="Peer support hours", kind="count",
                        direction="up", frequency="monthly", chart="run",
                        starts_on=date(2024, 1, 1), definition="Hours a month", unit="hours")
        core = Measure(site_id=None, name="Readmissions", kind="ratio", direction="down",
                       frequency="quarterly", chart="xmr", starts_on=date(2023, 1, 1),
                       numerator_label="Readmitted", denominator_label="Discharged",
                       scale=100, target=5.0, baseline_points=4)
        s.add_all([local, core])
        s.flush()
        s.add_all([MeasureChallenge(measure_id=local.id, challenge=3),
                   MeasureChallenge(measure_id=core.id, challenge=1)])
        s.add_all([
            DataPoint(measure_id=local.id, site_id=world.site_a.id, period_start=date(2024, 1, 1),
                      value=12, annotation="Two new peer workers"),
            DataPoint(measure_id=local.id, site_id=world.site_a.id, period_start=date(2024, 2, 1),
                      value=20, rebase=True),
            DataPoint(measure_id=core.id, site_id=world.site_a.id, period_start=date(2023, 1, 1),
                      value=12.5, numerator=5, denominator=40)])
        s.commit()


def test_version_2_carries_the_uid_and_measures_and_round_trips(client, session, world):
    add_measures(world)
    before = exported(client, world)
    assert before["format_version"] == 2 and before["site"]["uid"] == world.site_a.uid
    local, core = before["measures"]
    assert (local["name"], local["core"], local["challenges"]) == ("Peer support hours",
                                                                   False, [3])
    assert local["values"][1] == {"period": "2024-02-01", "value": 20.0, "numerator": None,
                                  "denominator": None, "annotation": "", "rebase": True,
                                  "band": None}
    assert (core["core"], core["values"][0]["numerator"]) == (True, 5.0)
    empty_database()
    report = import_document(before)
    assert report.problems == [] and report.imported
    assert report.counts["values"] == 3
    from imroc.services.access import load_principal
    from imroc.services.data_io.exchange import export_site
    from tests.factories import make_user

    session.expunge_all()
    admin = make_user(session, global_role="admin")
    with write_session() as s:
        site = s.exec(select(Site)).one()
        after = export_site(s, principal=load_principal(s, s.get(type(admin), admin.id)),
                            site=site).model_dump(mode="json")
    before.pop("exported_at"), after.pop("exported_at")
    assert after["site"]["uid"] == world.site_a.uid
    assert after["measures"] == before["measures"]
    assert after == before


def test_a_renamed_site_gets_a_documents_new_cycle_and_values_no_duplicate(client, session,
                                                                           world):
    doc = exported(client, world)
    with write_session() as s:
        s.get(Site, world.site_a.id).name = "Hollin Bank"
        s.commit()
    new = {**doc["cycles"][0], "number": 3, "actions": [], "started_on": "2024-09-02",
           "review_due_on": "2024-12-02",
           "signed_off_at": None, "closed_at": None, "meeting": None}
    doc["cycles"] = [new]
    sites = site_count(session)
    dry = import_document(doc, dry_run=True)
    assert dry.problems == []
    [line] = dry.sites
    assert (line.existing_id, line.matched_by) == (world.site_a.id, "uid")
    assert line.notes == ['Cycle 3: closed on 2 December 2024, its review date and signed off '
                          'on its closing date, 2 December 2024, since the file leaves "Closed" '
                          'and "Signed off" blank']
    assert import_document(doc).imported
    session.expire_all()
    assert site_count(session) == sites
    numbers = session.exec(select(Cycle.number).where(Cycle.site_id == world.site_a.id)).all()
    assert sorted(numbers) == [1, 2, 3]


def test_a_version_1_document_still_imports(client, session, world):
    doc = exported(client, world)
    doc["format_version"] = 1
    doc["site"].pop("uid")
    doc.pop("measures")
    doc["site"]["name"] = "Site A from 2024"
    report = import_document(doc)
    assert report.problems == [] and report.imported
    assert report.sites[0].new
    assert session.exec(select(Site).where(Site.name == "Site A from 2024")).one().uid != \
        world.site_a.uid
