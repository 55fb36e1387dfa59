"""Exports: CSV and XLSX content cell by cell, formula defusing, access and anonymising."""

import csv
import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from tests.factories import api_token, make_site, sign_in

pytestmark = pytest.mark.with_history  # the `world` fixture brings past cycles



def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def get(client, world, role, url):
    sign_in(client, world.by_role(role))
    return client.get(url)


def test_ratings_csv_cell_by_cell_for_the_lead(client, world):
    rows = csv_rows(get(client, world, "lead", f"/sites/{world.site_a.id}/export?format=csv"
                                               "&table=ratings"))
    lead, member = world.lead, world.member
    assert rows[0] == ["Site", "Cycle", "Challenge", "Rater", "Rater name", "Perspective",
                       "Level", "Comment", "Don't know"]
    challenge_one = sorted([
        ["Site A", "1", "1", member.email, member.name, "lived_experience", "2",
         "Peer workers now in two teams", "No"],
        ["Site A", "1", "1", lead.email, lead.name, "staff", "1",
         "'-3 incidents since last year", "No"]], key=lambda r: r[3])
    assert sorted(rows[1:3], key=lambda r: r[3]) == challenge_one  # raters in a drawn order
    assert rows[3] == ["Site A", "1", "2", member.email, member.name, "lived_experience",
                       "0", "", "No"]


def test_cycles_consensus_and_actions_csv(client, world):
    base = f"/sites/{world.site_a.id}/export?format=csv&table="
    sign_in(client, world.lead)
    cycles = csv_rows(client.get(base + "cycles"))
    assert cycles[0][:8] == ["Site", "Cycle", "Framework version", "Stage", "Started on",
                             "Review due on", "Signed off (UTC)", "Closed (UTC)"]
    assert cycles[1][:10] == ["Site A", "1", "2011.1", "closed", "2024-01-08", "2024-04-08",
                              "2024-02-01 10:30:00", "2024-04-10 09:00:00",
                              "'=HYPERLINK(\"http://evil.example\")", "Half the actions done"]
    assert cycles[2][:8] == ["Site A", "2", "2011.1", "assess", "2024-04-15", "", "", ""]
    consensus = csv_rows(client.get(base + "consensus"))
    assert consensus[0] == ["Site", "Cycle", "Cycle started on", "Challenge", "Challenge title",
                            "Agreed level", "Level name", "Rationale", "To re-confirm"]
    assert consensus[1] == ["Site A", "1", "2024-01-08", "1", "Day-to-day interactions", "1",
                            "Engagement", "Agreed after talking", "No"]
    assert consensus[2][5:] == ["0", "Not yet started", "'+ more to do", "No"]
    assert consensus[3][:2] == ["Site A", "2"] and consensus[3][-1] == "Yes"
    actions = csv_rows(client.get(base + "actions"))
    assert actions == [
        ["Site", "Cycle", "Action no.", "Challenge", "Title", "Owner", "Due on", "Status",
         "Outcome", "Notes", "Carried from cycle", "Carried from action no."],
        ["Site A", "1", "1", "2", "Recruit peer trainers", "'@Sam", "2024-03-01", "done",
         "adopt", "Two joined", "", ""],
        ["Site A", "1", "2", "2", "Start a recovery college", "", "", "in_progress", "adapt",
         "", "", ""],
        ["Site A", "2", "1", "2", "Start a recovery college", "", "", "in_progress", "", "",
         "1", "2"],
    ]
    priorities = csv_rows(client.get(base + "priorities"))
    assert priorities[0][-2:] == ["Objective", "Level agreed next time"]
    # cycle 2 is not signed off yet: nothing has rescored the priority
    assert priorities[1] == ["Site A", "1", "1", "2", "0", "2", "Lowest level", "no_rescore", ""]
    sites = csv_rows(client.get(base + "sites"))
    assert sites == [["Site", "Organisation", "Kind of site", "Region", "Learning set",
                      "Joined on", "Consultancy days allocated", "Consultancy days used",
                      "Site identifier"],
                     ["Site A", "Example NHS Trust", "pilot", "North West", "Set A",
                      "2012-04-01", "30", "0", world.site_a.uid]]


def test_xlsx_has_a_sheet_per_table_with_typed_cells(client, world):
    response = get(client, world, "lead", f"/sites/{world.site_a.id}/export?format=xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == \
        f'attachment; filename="imroc-site-{world.site_a.id}.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Sites", "Cycles", "Ratings", "Consensus", "Priorities",
                               "Actions", "Consultancy", "Shared changes"]
    cycles = book["Cycles"]
    assert [c.value for c in cycles[1]][:5] == ["Site", "Cycle", "Framework version", "Stage",
                                                "Started on"]
    assert cycles["B2"].value == 1 and cycles["B2"].data_type == "n"
    assert cycles["E2"].value == datetime(2024, 1, 8) and cycles["E2"].is_date
    assert cycles["E2"].number_format == "dd/mm/yyyy"
    assert cycles["G2"].value == datetime(2024, 2, 1, 10, 30)
    assert cycles["I2"].value == "'=HYPERLINK(\"http://evil.example\")"
    assert cycles["I2"].data_type == "s"  # text, never a formula
    ratings = book["Ratings"]
    lead_row = next(r for r in ratings.iter_rows(min_row=2, values_only=True)
                    if r[3] == world.lead.email)
    assert list(lead_row) == ["Site A", 1, 1, world.lead.email, world.lead.name, "staff", 1,
                              "'-3 incidents since last year", "No"]
    assert isinstance(lead_row[1], int) and isinstance(lead_row[6], int)
    actions = book["Actions"]
    assert [c.value for c in actions[4]] == ["Site A", 2, 1, 2, "Start a recovery college",
                                             None, None, "in_progress", None, None, 1, 2]
    assert actions["F2"].value == "'@Sam" and actions["G2"].is_date
    assert book["Consensus"]["I4"].value == "Yes" and book["Consensus"]["I2"].value == "No"
    assert book["Sites"].max_row == 2


def test_zip_holds_one_csv_per_table(client, world):
    response = get(client, world, "lead", f"/sites/{world.site_a.id}/export?format=zip")
    assert response.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(zf.namelist()) == sorted(f"{t}.csv" for t in (
        "sites", "cycles", "ratings", "consensus", "priorities", "actions", "consultancy",
        "shared_changes"))
    ratings = list(csv.reader(io.StringIO(zf.read("ratings.csv").decode("utf-8-sig"))))
    assert len(ratings) == 4
    assert {r[3] for r in ratings[1:]} == {world.member.email, world.lead.email}


@pytest.mark.parametrize("role", ["member", "facilitator"])
def test_raters_are_pseudonyms_for_those_who_cannot_see_members(client, world, role):
    rows = csv_rows(get(client, world, role, f"/sites/{world.site_a.id}/export?format=csv"
                                             "&table=ratings"))
    # Numbered per site in an order that reveals nothing (not the order of the e-mails); the
    # rows follow cycle, challenge, then that number.
    from imroc.services.anonymise import rater_numbers

    order = rater_numbers(world.site_a.id, [world.member.email, world.lead.email])
    member, lead = (f"Rater {order[world.member.email]}", f"Rater {order[world.lead.email]}")
    assert [r[3:5] for r in rows[1:]] == [*sorted([[member, ""], [lead, ""]]), [member, ""]]
    assert all(world.member.email not in cell for r in rows for cell in r)


@pytest.mark.parametrize(("role", "status"), [
    ("member_b", 404), ("other_facilitator", 404), ("member", 200), ("facilitator", 200),
    ("programme", 200), ("admin", 200)])
def test_site_export_follows_who_may_see_the_site(client, world, role, status):
    assert get(client, world, role, f"/sites/{world.site_a.id}/export").status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("member", 403), ("lead", 403), ("facilitator", 403), ("programme", 200), ("admin", 200)])
def test_programme_export_is_for_the_programme_team(client, world, role, status):
    response = get(client, world, role, "/programme/export?format=csv&table=sites")
    assert response.status_code == status
    if status == 200:
        assert [r[0] for r in csv_rows(response)[1:]] == ["Site A", "Site B"]


@pytest.mark.parametrize(("role", "status"), [
    ("member", 404), ("lead", 404), ("other_facilitator", 404), ("facilitator", 200),
    ("programme", 200)])
def test_learning_set_export_for_its_facilitators(client, world, role, status):
    response = get(client, world, role, f"/learning-sets/{world.set_a.id}/export?format=csv"
                                        "&table=sites")
    assert response.status_code == status
    if status == 200:
        assert [r[0] for r in csv_rows(response)[1:]] == ["Site A"]


def test_anonymised_learning_set_hides_names_as_the_dashboard_does(client, session, world):
    make_site(session, name="Another site", learning_set=world.set_a)
    sign_in(client, world.programme)
    base = f"/learning-sets/{world.set_a.id}/export?anonymise=true&format=csv&table="
    sites = csv_rows(client.get(base + "sites"))
    # Letters follow the dashboard (the set's own random order), listed in letter order.
    from imroc.models import LearningSet, Site
    from imroc.services.anonymise import site_names

    ls = session.get(LearningSet, world.set_a.id)
    names = site_names(session.exec(select(Site).where(Site.learning_set_id == ls.id)).all(),
                       True, ls.letter_seed)
    assert [(r[0], r[1], r[3]) for r in sites[1:]] == [("Site A", "", ""), ("Site B", "", "")]
    assert sites[0][-1] == "Site identifier" and [r[-1] for r in sites[1:]] == ["", ""]
    ratings = csv_rows(client.get(base + "ratings"))
    assert {r[0] for r in ratings[1:]} == {names[world.site_a.id]}
    assert {r[3] for r in ratings[1:]} == {"Rater 1", "Rater 2"}
    assert all(r[4] == "" for r in ratings[1:])
    plain = csv_rows(client.get(base.replace("anonymise=true", "anonymise=false") + "ratings"))
    assert {r[3] for r in plain[1:]} == {world.member.email, world.lead.email}


def test_api_exports_the_same_tables(client, world):
    headers = api_token(client, world.lead)
    response = client.get(f"/api/v1/sites/{world.site_a.id}/export?format=csv&table=ratings",
                          headers=headers)
    assert world.lead.email in {r[3] for r in csv_rows(response)[1:]}
    page = get(client, world, "lead", f"/sites/{world.site_a.id}/export?format=csv"
                                      "&table=ratings")
    assert page.content == response.content
    programme = client.get("/api/v1/programme/export", headers=headers)
    assert programme.status_code == 403


@pytest.mark.parametrize(("query", "field"), [("format=pdf", "format"),
                                              ("format=csv", "table"),
                                              ("format=csv&table=people", "table")])
def test_a_bad_choice_is_refused_naming_the_field(client, world, query, field):
    headers = api_token(client, world.lead)
    response = client.get(f"/api/v1/sites/{world.site_a.id}/export?{query}", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"].endswith(field)


def test_the_data_page_offers_what_each_person_may_export(client, world):
    page = get(client, world, "member", "/data").text
    assert "A site&#39;s history" in page or "A site's history" in page
    assert "The whole programme" not in page and "exchange document" not in page.lower()
    page = get(client, world, "programme", "/data").text
    assert "The whole programme" in page and "/data/import" in page
    response = client.get(f"/data/export?scope=site&site_id={world.site_a.id}&format=csv"
                          "&table=ratings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == \
        f"/sites/{world.site_a.id}/export?format=csv&table=ratings"


def test_text_that_xml_cannot_hold_is_dropped_not_fatal(client, session, world):
    from imroc.models import Rating

    rating = session.exec(select(Rating).where(Rating.comment == "")).first()
    rating.comment = "Bell\x07 & <tag> \U0001f600"
    session.add(rating)
    session.commit()
    response = get(client, world, "lead", f"/sites/{world.site_a.id}/export?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    comments = [r[7] for r in book["Ratings"].iter_rows(min_row=2, values_only=True)]
    assert "Bell & <tag> \U0001f600" in comments
