"""The JSON exchange document: its schema, exact round trip, people by email, access."""

import json
from pathlib import Path

import jsonschema_rs
import pytest
from sqlmodel import select

from imroc.config import ROOT
from imroc.db import write_session
from imroc.models import LearningSetFacilitator, Membership, Site, User
from imroc.security import verify_password
from imroc.services.data_io.exchange_doc import schema
from imroc.services.data_io.import_plan import NO_PASSWORD
from imroc.services.data_io.imports import run_import
from tests.checks import counts
from tests.data_history import empty_database
from tests.factories import PASSWORD, api_token, make_user, sign_in

pytestmark = pytest.mark.with_history  # the `world` fixture brings past cycles

SCHEMA_FILE = ROOT / "schemas" / "imroc-exchange-2.schema.json"
TABLES = (Site, User, Membership)



def exported(client, world, role: str = "lead") -> dict:
    response = client.get(f"/api/v1/sites/{world.site_a.id}/exchange",
                          headers=api_token(client, world.by_role(role)))
    assert response.status_code == 200, response.text
    return response.json()


def import_document(doc: dict, *, dry_run: bool = False):
    with write_session() as session:
        return run_import(session, json.dumps(doc).encode(), principal=None, dry_run=dry_run,
                          max_bytes=10 * 1024 * 1024)


def test_the_schema_file_matches_the_document_classes():
    stored = json.loads(Path(SCHEMA_FILE).read_text())
    assert stored == schema(), "regenerate schemas/imroc-exchange-2.schema.json from " \
        "imroc.services.data_io.exchange_doc.schema()"
    assert stored["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_document_validates_against_the_schema(client, world):
    doc = exported(client, world)
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text()))
    assert validator.is_valid(doc), list(validator.iter_errors(doc))[:3]
    broken = {**doc, "format_version": 3}
    assert not validator.is_valid(broken)


def test_the_document_holds_the_site_people_and_every_cycle(client, world):
    doc = exported(client, world)
    assert doc["format"] == "imroc-exchange" and doc["format_version"] == 2
    assert doc["site"]["uid"] == world.site_a.uid
    assert doc["framework"] == {"id": "imroc", "version": "2011.1"}
    assert doc["site"]["learning_set"] == {"name": "Set A", "region": "North West",
                                           "facilitators": [world.facilitator.email]}
    people = {p["email"]: p for p in doc["people"]}
    assert people[world.member.email] == {"email": world.member.email,
                                          "name": world.member.name, "role": "site_member",
                                          "perspective": "lived_experience"}
    assert people[world.facilitator.email]["role"] is None
    one, two = doc["cycles"]
    assert one["meeting"] == {"held_on": "2024-03-05", "title": "Spring meeting"}
    assert one["signed_off_by"] == world.lead.email
    assert one["pdsa"]["aim"] == '=HYPERLINK("http://evil.example")'  # JSON needs no defusing
    assert one["feedback"] == [{"author": world.facilitator.email, "body": "A good start",
                                "created_at": "2024-03-06T12:00:00.123456Z"}]
    assert one["facilitator_ratings"][0]["rater"] == world.facilitator.email
    assert two["actions"][0]["carried_from"] == {"cycle": 1, "number": 2}


def test_export_then_import_into_an_empty_database_gives_identical_data(client, world):
    before = exported(client, world)
    empty_database()
    report = import_document(before)
    assert report.problems == [] and report.imported
    assert report.counts == {"sites": 1, "cycles": 2, "ratings": 3, "consensus": 3,
                             "priorities": 1, "actions": 3}
    with write_session() as s:
        s.add(User(email="admin2@example.org", name="Admin", password_hash="x",
                   global_role="admin"))
        s.commit()
        admin = s.exec(select(User).where(User.email == "admin2@example.org")).one()
        site = s.exec(select(Site)).one()
    # Export again, as the programme team would (the people imported cannot sign in yet).
    from imroc.services.access import load_principal
    from imroc.services.data_io.exchange import export_site

    with write_session() as s:
        after = export_site(s, principal=load_principal(s, admin), site=s.get(Site, site.id)
                            ).model_dump(mode="json")
    before.pop("exported_at"), after.pop("exported_at")
    for key in ("framework", "site", "people"):
        assert after[key] == before[key], key
    assert len(after["cycles"]) == len(before["cycles"])
    for b, a in zip(before["cycles"], after["cycles"], strict=True):
        for field in b:
            assert a[field] == b[field], (b["number"], field)
    assert after == before


def test_imported_people_have_no_usable_password(client, world):
    doc = exported(client, world)
    empty_database()
    import_document(doc)
    with write_session() as s:
        member = s.exec(select(User).where(User.email == world.member.email)).one()
        assert member.password_hash == NO_PASSWORD
        assert not verify_password(member.password_hash, PASSWORD)
        facilitators = s.exec(select(LearningSetFacilitator)).all()
        assert [f.user_id for f in facilitators] == [
            s.exec(select(User.id).where(User.email == world.facilitator.email)).one()]
    response = client.post("/api/v1/auth/token", data={"username": world.member.email,
                                                       "password": PASSWORD})
    assert response.status_code == 401


def test_existing_accounts_are_reused_by_email(client, session, world):
    doc = exported(client, world)
    doc["site"].update(name="Site A moved here", uid=None)  # another site
    users = counts((User,))["user_account"]
    report = import_document(doc)
    assert report.imported
    assert counts((User,))["user_account"] == users  # everyone already had an account
    new_site = session.exec(select(Site).where(Site.name == "Site A moved here")).one()
    roles = dict(session.exec(select(Membership.user_id, Membership.role).where(
        Membership.site_id == new_site.id)).all())
    assert roles == {world.member.id: "site_member", world.lead.id: "site_lead"}
    # The lead keeps their own password.
    sign_in(client, world.lead)


def test_a_site_that_exists_is_never_overwritten(client, world):
    doc = exported(client, world)
    before = counts(TABLES)
    report = import_document(doc)
    assert not report.imported
    assert [(p.column, p.message) for p in report.problems] == [
        (f"cycles/{i}/number", f"Site A already has a cycle {n}: an import adds history and "
         "never changes what is recorded") for i, n in ((0, 1), (1, 2))]
    assert counts(TABLES) == before


@pytest.mark.parametrize(("change", "column"), [
    (lambda d: d.update(format_version=3), "format_version"),
    (lambda d: d["cycles"][0]["ratings"][0].update(level="high"), "cycles/0/ratings/0/level"),
    (lambda d: d["cycles"][0]["ratings"][0].update(rater="someone@else.org"),
     "cycles/0/ratings/0"),
    (lambda d: d["cycles"][1]["actions"][0].update(carried_from={"cycle": 1, "number": 9}),
     "cycles/1/actions/0/carried_from"),
    (lambda d: d["cycles"][0].update(framework_version="1999"), "cycles/0/framework_version"),
    (lambda d: d["cycles"][0]["consensus"][0].update(level=7), "cycles/0/consensus/0"),
    (lambda d: d.update(surprise=True), "surprise"),
])
def test_a_bad_document_is_reported_and_imports_nothing(client, world, change, column):
    doc = exported(client, world)
    doc["site"].update(name="A new site", uid=None)  # another site
    change(doc)
    before = counts(TABLES)
    report = import_document(doc)
    assert not report.imported and report.problems
    assert report.problems[0].column == column, report.problems
    assert counts(TABLES) == before


@pytest.mark.parametrize(("role", "status"), [
    ("member", 403), ("facilitator", 403), ("other_facilitator", 404), ("member_b", 404),
    ("lead", 200), ("programme", 200), ("admin", 200)])
def test_exchange_export_names_people_so_goes_only_to_leads_and_the_team(client, world, role,
                                                                         status):
    sign_in(client, world.by_role(role))
    response = client.get(f"/sites/{world.site_a.id}/exchange.json")
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-disposition"] == \
            'attachment; filename="imroc-exchange.json"'
        assert response.json()["site"]["name"] == "Site A"


def test_another_programme_team_member_can_export_it(client, session, world):
    other = make_user(session, global_role="programme_team")
    assert exported(client, world, "programme")["site"]["name"] == "Site A"
    headers = api_token(client, other)
    assert client.get(f"/api/v1/sites/{world.site_a.id}/exchange",
                      headers=headers).status_code == 200


def test_a_malformed_field_is_explained_in_plain_english(client, world):
    doc = exported(client, world)
    doc["site"].update(name="A new site", uid=None)  # another site
    doc["cycles"][0]["ratings"][0]["level"] = "high"
    problems = import_document(doc).problems
    assert [(p.column, p.message) for p in problems] == [
        ("cycles/0/ratings/0/level", "Level must be a whole number")]


def test_consultancy_entries_travel_with_the_site(client, session, world):
    """Dated consultancy entries go out and come back whole; a project-team email unknown
    here is kept as the name of who delivered the days, and the total follows the entries."""
    from datetime import date
    from decimal import Decimal

    from imroc.models import ConsultancyEntry

    session.add_all([
        ConsultancyEntry(site_id=world.site_a.id, delivered_on=date(2024, 3, 4),
                         days=Decimal("1.5"), purpose="Recovery college workshop",
                         delivered_by_name="Pat Peer"),
        ConsultancyEntry(site_id=world.site_a.id, delivered_on=date(2024, 5, 6),
                         days=Decimal("2"), purpose="Steering group coaching",
                         delivered_by_id=world.programme.id)])
    session.commit()
    before = exported(client, world)
    assert before["site"]["consultancy_days_used"] == 3.5
    assert before["consultancy"] == [
        {"delivered_on": "2024-03-04", "days": 1.5, "purpose": "Recovery college workshop",
         "delivered_by": None, "peer_trainer": "Pat Peer"},
        {"delivered_on": "2024-05-06", "days": 2.0, "purpose": "Steering group coaching",
         "delivered_by": world.programme.email, "peer_trainer": None}]
    empty_database()
    report = import_document(before)
    assert report.problems == [] and report.imported
    with write_session() as s:
        rows = s.exec(select(ConsultancyEntry).order_by(ConsultancyEntry.delivered_on)).all()
        assert [(r.days, r.delivered_by_id, r.delivered_by_name) for r in rows] == [
            (Decimal("1.5"), None, "Pat Peer"), (Decimal("2"), None, world.programme.email)]
        assert s.exec(select(Site)).one().consultancy_days_used == Decimal("3.5")
    # Imported again, the entries the site already has are not added twice.
    again = {**before, "cycles": [], "measures": []}
    assert [p.message for p in import_document(again).problems] == [
        "The file holds nothing to import"]
    with write_session() as s:
        assert len(s.exec(select(ConsultancyEntry)).all()) == 2
