"""The Shared changes table of exports: a site's changes that worked as a programme analyst
reads them, withdrawn ones too, counted where they were tried elsewhere; a learning set's
export holds only the changes of cycles run in it, and names sites as the export does."""

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from imroc import clock
from imroc.models import SharedChange
from imroc.services import changes
from imroc.services.access import load_principal
from tests.change_factories import ready_cycle, shared
from tests.factories import make_member, sign_in
from tests.test_exports import csv_rows

HEADER = ["Site", "Cycle", "Action no.", "Challenge", "Challenge title", "Action title",
          "Outcome", "Shared with", "Learning set", "Site named", "Shared on", "Withdrawn on",
          "Times tried elsewhere"]
SHARED = datetime(2024, 4, 10, 23, 30, tzinfo=UTC)  # 11 April in England
WITHDRAWN = datetime(2024, 9, 2, 9, 0, tzinfo=UTC)


def _dated(session, change: SharedChange, *, withdrawn: datetime | None = None) -> None:
    change.shared_at, change.withdrawn_at = SHARED, withdrawn
    session.add(change)
    session.commit()


def arrange(session, world) -> None:
    """Site A shares two changes: one with its set (withdrawn since), and one with the
    programme without its name, which site B and site A itself (later) both tried. Site B
    shares one of its own."""
    with_set = shared(session, lead=world.lead, site=world.site_a, challenge=3,
                      title="Peer workers join ward rounds")
    _dated(session, with_set, withdrawn=WITHDRAWN)
    hidden = shared(session, lead=world.lead, site=world.site_a, scope="programme",
                    anonymised=True, challenge=4, outcome="adapt",
                    title="=HYPERLINK(\"http://evil.example\")")
    _dated(session, hidden)
    lead_b = make_member(session, site=world.site_b, role="site_lead")
    _dated(session, shared(session, lead=lead_b, site=world.site_b, scope="programme",
                           title="Recovery college"))
    for site, person in ((world.site_b, world.member_b), (world.site_a, world.lead)):
        cycle = ready_cycle(session, site=site, challenges=(4,))
        changes.adopt(session, change=hidden, cycle_id=cycle.id,
                      principal=load_principal(session, person))


def test_a_sites_shared_changes_cell_by_cell(client, session, world):
    arrange(session, world)
    sign_in(client, world.lead)
    rows = csv_rows(client.get(f"/sites/{world.site_a.id}/export?format=csv"
                               "&table=shared_changes"))
    assert rows[0] == HEADER
    assert rows[1:] == [
        ["Site A", "1", "1", "3", "Recovery college", "Peer workers join ward rounds",
         "adopt", "learning_set", "Set A", "Yes", "2024-04-11", "2024-09-02", "0"],
        ["Site A", "2", "1", "4", "Leadership and culture", "'=HYPERLINK(\"http://evil.example\")",
         "adapt", "programme", "Set A", "No", "2024-04-11", "", "1"]]


def test_the_workbook_has_the_sheet_with_real_dates(client, session, world):
    arrange(session, world)
    sign_in(client, world.programme)
    response = client.get(f"/sites/{world.site_a.id}/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["Shared changes"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["K2"].is_date and sheet["K2"].value == datetime(2024, 4, 11)
    assert sheet["F3"].value == "'=HYPERLINK(\"http://evil.example\")"
    assert sheet["J3"].value == "No" and sheet["M3"].value == 1


def test_a_learning_set_export_holds_only_the_changes_of_cycles_run_in_it(client, session,
                                                                        world):
    arrange(session, world)
    world.site_a.name = "Hollinsmere"
    session.add(world.site_a)
    session.commit()
    sign_in(client, world.facilitator)
    base = f"/learning-sets/{world.set_a.id}/export?format=csv&table=shared_changes"
    rows = csv_rows(client.get(base))
    assert [(r[0], r[5]) for r in rows[1:]] == [
        ("Hollinsmere", "Peer workers join ward rounds"),
        ("Hollinsmere", "'=HYPERLINK(\"http://evil.example\")")]  # not site B's
    hidden = csv_rows(client.get(base + "&anonymise=true"))
    assert [r[1:] for r in hidden] == [r[1:] for r in rows]
    assert {r[0] for r in hidden[1:]} == {"Site A"}  # lettered as on the dashboard


def test_the_programme_export_lists_every_sites_changes(client, session, world):
    arrange(session, world)
    sign_in(client, world.programme)
    rows = csv_rows(client.get("/programme/export?format=csv&table=shared_changes"))
    assert sorted((r[0], r[5], r[12]) for r in rows[1:]) == [
        ("Site A", "'=HYPERLINK(\"http://evil.example\")", "1"),
        ("Site A", "Peer workers join ward rounds", "0"),
        ("Site B", "Recovery college", "0")]
    assert clock.uk_date_of(SHARED).isoformat() == rows[1][10]
