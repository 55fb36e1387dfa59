"""The `imroc` command: seeding and the demo programme."""

from datetime import date

import time_machine
from sqlmodel import func, select
from typer.testing import CliRunner

from imroc.cli.app import app
from imroc.models import (
    ConsultancyEntry,
    LearningSet,
    LearningSetFacilitator,
    Membership,
    Site,
    User,
)

runner = CliRunner()


def _count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_seed_framework_is_idempotent():
    first = runner.invoke(app, ["seed", "framework"])
    assert first.exit_code == 0, first.output
    assert "already loaded" in first.output and "0 kinds of site added" in first.output


def test_seed_demo_creates_the_programme_once(session):
    result = runner.invoke(app, ["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "admin@imroc.example" in result.output and "imroc-demo-2026" in result.output
    assert _count(session, Site, Site.kind == "pilot") == 6
    assert _count(session, Site, Site.kind == "demonstration") == 4
    assert _count(session, Site, Site.kind == "learning_set") == 16
    assert _count(session, LearningSet) == 6
    assert _count(session, LearningSetFacilitator) == 6
    for perspective in ("staff", "lived_experience", "carer", "partner"):
        assert _count(session, Membership, Membership.perspective == perspective) >= 26
    assert _count(session, Membership, Membership.role == "site_lead") == 26
    users = _count(session, User)
    again = runner.invoke(app, ["seed", "demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert _count(session, User) == users


def test_demo_sites_spread_over_every_learning_set(session):
    runner.invoke(app, ["seed", "demo"])
    sets_with_sites = session.exec(select(func.count(func.distinct(Site.learning_set_id)))).one()
    assert sets_with_sites == 6


def test_forwarded_addresses_are_believed_only_from_the_trusted_proxies():
    from imroc.cli.app import proxy_options

    assert proxy_options("") == {"proxy_headers": False, "forwarded_allow_ips": None}
    assert proxy_options(" 10.0.0.5, 10.0.0.6 ") == {"proxy_headers": True,
                                                     "forwarded_allow_ips": "10.0.0.5,10.0.0.6"}


@time_machine.travel("2025-06-30 12:00:00+00:00", tick=False)
def test_demo_consultancy_days_follow_the_site_kinds(session):
    runner.invoke(app, ["seed", "demo"])
    sites = session.exec(select(Site)).all()
    for site in sites:
        session.refresh(site)
        entries = session.exec(select(ConsultancyEntry).where(
            ConsultancyEntry.site_id == site.id)).all()
        allocated = {"pilot": 30, "demonstration": 10, "learning_set": 0}[site.kind]
        assert site.consultancy_days_allocated == allocated
        assert site.consultancy_days_used == sum((e.days for e in entries), 0)
        assert all(site.joined_on < e.delivered_on <= date(2025, 6, 30) for e in entries)
        if site.kind == "demonstration":
            assert 0 < site.consultancy_days_used <= 10
    over = [s.name for s in sites if s.consultancy_days_used > s.consultancy_days_allocated]
    assert len(over) == 1  # one pilot shows what passing the allocation looks like
