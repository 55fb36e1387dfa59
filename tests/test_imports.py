"""Spreadsheet imports: round trip, dry run, all or nothing, malformed files, the upload page."""

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from imroc.clock import uk_date_of
from imroc.models import Action, ConsensusScore, Cycle, Membership, Priority, Rating, Site, User
from imroc.services.dashboards import aggregates as dashboards
from tests.checks import counts
from tests.data_history import empty_database
from tests.factories import api_token, sign_in
from tests.pages import form_fields, text

pytestmark = pytest.mark.with_history  # the `world` fixture brings past cycles

TABLES = (Site, User, Membership, Cycle, Rating, ConsensusScore, Priority, Action)
CONSENSUS = "Site,Cycle,Cycle started on,Challenge,Agreed level,Rationale\r\n"



def upload(client, headers, data: bytes, dry_run: bool = False, name: str = "file.xlsx"):
    return client.post(f"/api/v1/imports?dry_run={'true' if dry_run else 'false'}",
                       headers=headers, files={"file": (name, data)})


def programme_export(client, headers, fmt: str = "xlsx") -> bytes:
    response = client.get(f"/api/v1/programme/export?format={fmt}", headers=headers)
    assert response.status_code == 200
    return response.content


def sheets(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in book.worksheets}


def fresh_admin(client, session) -> dict:
    from tests.factories import make_user

    session.expunge_all()  # the emptied database hands out the same ids again
    return api_token(client, make_user(session, global_role="admin"))


def test_xlsx_export_imports_into_an_empty_database_and_exports_the_same(client, session,
                                                                         world):
    first = programme_export(client, api_token(client, world.programme))
    empty_database()
    headers = fresh_admin(client, session)
    response = upload(client, headers, first)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] and report["problems"] == []
    assert report["counts"] == {"sites": 2, "cycles": 2, "ratings": 3, "consensus": 3,
                                "priorities": 1, "actions": 3}
    second = programme_export(client, headers)
    before, after = sheets(first), sheets(second)
    assert list(after) == list(before)
    for title in before:
        assert len(after[title]) == len(before[title]), title
        for number, (a, b) in enumerate(zip(after[title], before[title], strict=True), 1):
            assert a == b, (title, number)


def test_zip_of_csvs_imports_too(client, session, world):
    first = programme_export(client, api_token(client, world.programme), "zip")
    empty_database()
    headers = fresh_admin(client, session)
    assert upload(client, headers, first, name="x.zip").json()["imported"]
    again = programme_export(client, headers, "zip")
    import zipfile

    def read(data):
        zf = zipfile.ZipFile(io.BytesIO(data))
        return {n: zf.read(n) for n in zf.namelist()}
    assert read(again) == read(first)


def test_dry_run_reports_and_changes_nothing(client, session, world):
    data = programme_export(client, api_token(client, world.programme))
    empty_database()
    headers = fresh_admin(client, session)
    before = counts(TABLES)
    response = upload(client, headers, data, dry_run=True)
    assert response.status_code == 200
    assert response.json()["counts"]["cycles"] == 2 and not response.json()["imported"]
    assert counts(TABLES) == before


def test_one_bad_row_in_the_middle_imports_nothing(client, world):
    headers = api_token(client, world.programme)
    csv = (CONSENSUS + "Site B,1,2023-01-09,1,2,Fine\r\n"
           "Site B,1,2023-01-09,2,9,Too high\r\n"
           "Site B,1,2023-01-09,3,1,Fine\r\n").encode()
    before = counts(TABLES)
    response = upload(client, headers, csv, name="levels.csv")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The file has 1 problem; nothing was imported"
    assert body["problems"] == [{"table": "consensus", "row": 3, "column": "Agreed level",
                                 "value": "9", "message": "Must be a level of the scale, 0 to 3"}]
    assert counts(TABLES) == before


def test_the_simplest_layout_records_closed_signed_off_cycles(client, session, world):
    headers = api_token(client, world.programme)
    csv = (CONSENSUS + "".join(f"Site B,{n},202{n}-01-09,{c},{min(3, n)},\r\n"
                               for n in (1, 2) for c in range(1, 11))).encode("utf-8-sig")
    response = upload(client, headers, csv, name="levels.csv")
    assert response.status_code == 200, response.text
    cycles = session.exec(select(Cycle).where(Cycle.site_id == world.site_b.id)
                          .order_by(Cycle.number)).all()
    assert [(c.number, c.stage, c.signed_off_at is not None) for c in cycles] == [
        (1, "closed", True), (2, "closed", True)]
    # Signed off by the cycle's own dates, never the day of the import: cycle 1 closed the
    # day cycle 2 started; the latest cycle, with no review date in the file, on its start.
    assert [uk_date_of(c.signed_off_at) for c in cycles] == [date(2022, 1, 9), date(2022, 1, 9)]
    assert dashboards.latest_levels(session, [world.site_b.id]) == {
        world.site_b.id: {c: 2 for c in range(1, 11)}}


def test_existing_cycles_are_never_changed(client, world):
    headers = api_token(client, world.programme)
    csv = (CONSENSUS + "Site A,1,2024-01-08,1,3,Changed\r\n").encode()
    before = counts(TABLES)
    response = upload(client, headers, csv)
    assert response.status_code == 422
    assert "Site A already has a cycle 1" in response.json()["problems"][0]["message"]
    assert counts(TABLES) == before


def test_ratings_create_people_and_memberships(client, session, world):
    headers = api_token(client, world.programme)
    csv = (CONSENSUS + "Site B,1,2023-01-09,1,2,\r\n").encode()
    ratings = ("Site,Cycle,Challenge,Rater,Rater name,Perspective,Level,Comment\r\n"
               f"Site B,1,1,New.Person@Example.org,New Person,carer,2,\r\n"
               f"Site B,1,1,{world.member_b.email},,staff,1,\r\n").encode()
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("consensus.csv", csv)
        zf.writestr("ratings.csv", ratings)
    response = upload(client, headers, buffer.getvalue())
    assert response.status_code == 200, response.text
    person = session.exec(select(User).where(User.email == "new.person@example.org")).one()
    assert person.name == "New Person"
    membership = session.exec(select(Membership).where(Membership.user_id == person.id)).one()
    assert (membership.site_id, membership.role, membership.perspective) == (
        world.site_b.id, "site_member", "carer")
    assert len(session.exec(select(Membership).where(
        Membership.user_id == world.member_b.id)).all()) == 1  # already a member


@pytest.mark.parametrize(("data", "words"), [
    (b"", "The file is empty"),
    (bytes(range(256)) * 40, "binary data"),
    (b"Name,Colour\r\nA,Blue\r\n", "do not match any table"),
    (b'{"format": "imroc-exchange",\n "site": }', "line 2, column 10"),
    (b"Site,Cycle,Cycle started on,Challenge,Agreed level\r\nCaf\xe9,1,2024-01-01,1,1\r\n",
     "not UTF-8 text: unreadable bytes on line 2"),
    (b"PK\x03\x04" + b"\x00" * 100, "damaged or incomplete"),
    (b'{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested too deeply"),
])
def test_malformed_files_get_a_plain_422(client, world, data, words):
    response = upload(client, api_token(client, world.programme), data)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"][0]["msg"]


def test_a_truncated_workbook_is_refused(client, world):
    headers = api_token(client, world.programme)
    whole = programme_export(client, headers)
    response = upload(client, headers, whole[: len(whole) // 2])
    assert response.status_code == 422
    assert "damaged" in response.json()["detail"][0]["msg"]


def test_wrong_columns_in_a_workbook_sheet_are_listed(client, world):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Consensus"
    book.active.append(["Site", "Cycle", "Challenge", "Level agreed"])
    book.active.append(["Site B", 1, 1, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, api_token(client, world.programme), buffer.getvalue())
    assert response.status_code == 422
    problems = {(p["column"], p["message"]) for p in response.json()["problems"]}
    assert ("Level agreed", "This column is not part of the layout") in problems
    assert ("Agreed level", "The column 'Agreed level' is missing") in problems


def test_a_50_mb_upload_is_refused_before_it_is_read(client, world):
    headers = api_token(client, world.programme)
    before = counts(TABLES)
    response = upload(client, headers, b"a" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert counts(TABLES) == before


def test_the_upload_page_checks_shows_problems_then_imports(client, world):
    sign_in(client, world.programme)
    page = client.get("/data/import").text
    fields = form_fields(page, "/data/import")
    assert fields["check_only"] == "yes"  # checking first is the default
    bad = (CONSENSUS + "Site B,1,2023-01-09,1,2,\r\nSite B,1,2023-01-09,1,<b>5</b>,\r\n").encode()
    response = client.post("/data/import", data=fields, files={"file": ("x.csv", bad)})
    assert response.status_code == 422
    words = text(response.text)
    assert "Nothing was imported" in words and "Problems found, row by row" in words
    assert "<b>5</b>" not in response.text and "&lt;b&gt;5&lt;/b&gt;" in response.text
    good = (CONSENSUS + "Site B,1,2023-01-09,1,2,\r\n").encode()
    before = counts(TABLES)
    response = client.post("/data/import", data=fields, files={"file": ("x.csv", good)})
    assert response.status_code == 200
    assert "The file is ready to import" in text(response.text)
    assert counts(TABLES) == before
    confirm = form_fields(response.text, "/data/import")
    assert "check_only" not in confirm
    response = client.post("/data/import", data=confirm, files={"file": ("x.csv", good)})
    assert response.status_code == 200 and "Import complete" in text(response.text)
    assert counts(TABLES)["cycle"] == before["cycle"] + 1


def test_the_upload_page_shows_an_unreadable_file_beside_the_field(client, world):
    sign_in(client, world.programme)
    fields = form_fields(client.get("/data/import").text, "/data/import")
    response = client.post("/data/import", data=fields, files={"file": ("x.xlsx", b"")})
    assert response.status_code == 422
    assert 'href="#file"' in response.text and "The file is empty" in text(response.text)
    response = client.post("/data/import", data=fields)
    assert response.status_code == 422 and "Select a file to import" in text(response.text)


def test_the_upload_needs_the_csrf_token(client, world):
    sign_in(client, world.programme)
    response = client.post("/data/import", files={"file": ("x.csv", b"a")})
    assert response.status_code == 403


def test_imports_are_audited(client, session, world):
    from imroc.models import AuditEvent

    headers = api_token(client, world.programme)
    upload(client, headers, (CONSENSUS + "Site B,1,2023-01-09,1,2,\r\n").encode())
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert (event.entity, event.site_id, event.actor_id) == ("site", world.site_b.id,
                                                             world.programme.id)
    assert event.after["cycles"] == 1 and event.after["consensus"] == 1
    assert json.dumps(event.after)


def test_a_workbook_saved_by_a_spreadsheet_program_is_read(client, session, world):
    """Shared strings, real date cells and numbers stored as decimals, as Excel saves them."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "consensus"  # sheet names match whatever their case
    sheet.append(["Site", "Cycle", "Cycle started on", "Challenge", "Agreed level",
                  "Rationale"])
    sheet.append(["Site B", 1.0, datetime(2023, 1, 9), 4, 2, "Staff & people agree <b>"])
    sheet["C2"].number_format = "d mmm yyyy"
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, api_token(client, world.programme), buffer.getvalue())
    assert response.status_code == 200, response.text
    cycle = session.exec(select(Cycle).where(Cycle.site_id == world.site_b.id)).one()
    assert str(cycle.started_on) == "2023-01-09"
    score = session.exec(select(ConsensusScore).where(ConsensusScore.cycle_id == cycle.id)).one()
    assert (score.challenge, score.level, score.rationale) == (4, 2, "Staff & people agree <b>")


def test_a_rating_given_twice_is_a_problem(client, world):
    ratings = ("Site,Cycle,Challenge,Rater,Perspective,Level\r\n"
               "Site B,1,1,a@example.org,staff,2\r\nSite B,1,1,A@example.org,staff,3\r\n")
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("consensus.csv", CONSENSUS + "Site B,1,2023-01-09,1,2,\r\n")
        zf.writestr("ratings.csv", ratings)
    response = upload(client, api_token(client, world.programme), buffer.getvalue())
    assert response.status_code == 422
    assert response.json()["problems"] == [{
        "table": "ratings", "row": 3, "column": "Challenge", "value": "1",
        "message": "This challenge is given twice for the same cycle and rater"}]


SITES = "Site,Kind of site,Region,Consultancy days allocated\r\n"


@pytest.mark.parametrize(("csv_text", "table", "column", "words"), [
    (SITES + "New site,castle,North,\r\n", "sites", "Kind of site", "Must be a kind of site"),
    (SITES + "New site,pilot,North,2000\r\n", "sites", "Consultancy days allocated",
     "Must be 0 to 1000"),
    (SITES + "New site,pilot,North,\r\nNew site,pilot,South,\r\n", "sites", "Site",
     "This site is listed twice"),
    (CONSENSUS + "Nowhere,1,2023-01-09,1,2,\r\n", "consensus", "Site", "No site has this name"),
    (CONSENSUS + "Site B,0,2023-01-09,1,2,\r\n", "consensus", "Cycle", "Must be 1 or more"),
    (CONSENSUS + "Site B,1,2023-01-09,11,2,\r\n", "consensus", "Challenge", ""),
    (CONSENSUS + "Site B,1,9 January,1,2,\r\n", "consensus", "Cycle started on", "date"),
])
def test_each_row_rule_names_the_table_column_and_reason(client, world, csv_text, table,
                                                        column, words):
    headers = api_token(client, world.programme)
    before = counts(TABLES)
    response = upload(client, headers, csv_text.encode(), name="rows.csv")
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [(p["table"], p["column"]) for p in problems][:1] == [(table, column)], problems
    assert words in problems[0]["message"], problems
    assert counts(TABLES) == before


def _zip_of(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


CONSENSUS_HEADER = b"Site,Cycle,Cycle started on,Challenge,Agreed level\r\n"


@pytest.mark.parametrize(("member", "words"), [
    (CONSENSUS_HEADER + b"A,1,2024-01-01,1,1\r\nCaf\xe9,1,2024-01-01,2,1\r\n",
     "not UTF-8 text: unreadable bytes on or after line"),
    (b"\x00\x01binary" * 100, "binary data"),
    (CONSENSUS_HEADER + b'"' + b"x" * 200_000 + b'",1,2024-01-01,1,1\r\n', "could not be read"),
])
def test_csv_in_a_zip_is_read_as_a_stream_and_refused_plainly(client, world, member, words):
    response = upload(client, api_token(client, world.programme),
                      _zip_of({"consensus.csv": member}))
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"][0]["msg"]


def test_a_zip_that_unpacks_past_the_cap_is_refused_before_it_is_read(client, world,
                                                                       monkeypatch):
    from imroc.services.data_io import import_files

    assert import_files.MAX_UNPACKED == 32 * 1024 * 1024
    monkeypatch.setattr(import_files, "MAX_UNPACKED", 1000)
    response = upload(client, api_token(client, world.programme),
                      _zip_of({"consensus.csv": CONSENSUS_HEADER + b"A,1,2024-01-01,1,1\r\n" * 80}))
    assert response.status_code == 422
    assert "unpacks to more than" in response.json()["detail"][0]["msg"]
