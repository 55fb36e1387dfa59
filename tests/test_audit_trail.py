"""Who reads a site's audit trail, and what they see of the people in it: the lead and the
programme team see names; a facilitator of the site's learning set sees its raters as Rater 1,
2... (the numbers of the site's exports) and no names or emails; anyone else is refused."""

from imroc.models.assessment import RatingIn, RatingsIn
from imroc.models.cycle import CycleCreate
from imroc.models.invitation import SiteInvitationIn
from imroc.services import anonymise, assessments, audit, cycles, feedback, invitations
from imroc.services.access import load_principal
from imroc.services.data_io import exports
from tests.factories import sign_in


def _rated_cycle(session, world) -> None:
    """Site A's lead and member rate; the facilitator gives their own view; the lead invites
    someone by name and email."""
    site, lead = world.site_a, load_principal(session, world.lead)
    cycle = cycles.open_cycle(session, site=site, principal=lead, data=CycleCreate())
    for person in (world.member, world.lead):
        assessments.set_ratings(session, cycle=cycle, site=site,
                                principal=load_principal(session, person),
                                data=RatingsIn(ratings=[RatingIn(challenge=1, level=2)]))
    feedback.set_facilitator_ratings(session, cycle=cycle, site=site,
                                        principal=load_principal(session, world.facilitator),
                                        data=RatingsIn(ratings=[RatingIn(challenge=1, level=1)]))
    invitations.invite_to_site(session, site=site, principal=lead, data=SiteInvitationIn(
        email="pending@example.org", name="Pat Pending", role="site_member", perspective="staff"))


def test_a_facilitator_reads_the_trail_with_raters_numbered_as_in_exports(client, session, world):
    _rated_cycle(session, world)
    numbers = anonymise.rater_numbers(world.site_a.id, [world.member.email, world.lead.email])
    sign_in(client, world.facilitator)
    page = client.get(f"/sites/{world.site_a.id}/audit")
    assert page.status_code == 200
    for person in (world.member, world.lead):
        assert person.name not in page.text and person.email not in page.text
    assert "Pat Pending" not in page.text and "pending@example.org" not in page.text
    assert f"Rater {numbers[world.member.email]}" in page.text
    assert f"Rater {numbers[world.lead.email]}" in page.text
    assert world.facilitator.name in page.text  # their own view, under their own name
    assert "shown as Rater 1, Rater 2" in page.text

    # The numbers are those of the site's export for the same facilitator.
    rows, _total = audit.trail(session, principal=load_principal(session, world.facilitator),
                               site=world.site_a)
    by_actor = {r.event.actor_id: r.who for r in rows if r.event.action == "rate"}
    export = exports.site_export(session, principal=load_principal(session, world.facilitator),
                                 site=world.site_a)
    assert {r["rater"] for r in export.tables["ratings"]} == set(by_actor.values())
    assert by_actor[world.member.id] == f"Rater {numbers[world.member.email]}"
    invited = next(r for r in rows if r.event.entity == "invitation")
    assert (invited.after["email"], invited.after["name"]) == ("hidden", "hidden")
    assert invited.event.after["email"] == "pending@example.org"  # the trail itself is intact


def test_the_programme_team_and_the_lead_read_the_trail_with_names(client, session, world):
    _rated_cycle(session, world)
    for reader in (world.programme, world.lead):
        sign_in(client, reader)
        page = client.get(f"/sites/{world.site_a.id}/audit")
        assert page.status_code == 200
        assert world.member.name in page.text and "Pat Pending" in page.text
        assert "Rater 1" not in page.text and "shown as Rater" not in page.text


def test_a_facilitator_of_another_set_or_a_member_is_refused(client, session, world):
    _rated_cycle(session, world)
    sign_in(client, world.other_facilitator)
    assert client.get(f"/sites/{world.site_a.id}/audit").status_code == 404
    sign_in(client, world.member)
    assert client.get(f"/sites/{world.site_a.id}/audit").status_code == 403
    for reader in (world.facilitator, world.programme):
        sign_in(client, reader)
        assert client.get("/admin/audit").status_code == 403


def test_the_site_page_links_to_the_trail_for_its_facilitator(client, session, world):
    sign_in(client, world.facilitator)
    assert f'href="/sites/{world.site_a.id}/audit"' in client.get(f"/sites/{world.site_a.id}").text
    sign_in(client, world.member)
    assert f'href="/sites/{world.site_a.id}/audit"' not in client.get(
        f"/sites/{world.site_a.id}").text


def test_a_long_change_is_folded_away_and_a_short_one_shown(client, session, world):
    """One save of many data points does not fill screens of the trail: its long value sits
    in a details element, whole; short values stay in the row."""
    points = [{"period": f"2024-{m:02d}-01", "before": None, "after": {"value": m * 1.5}}
              for m in range(1, 13)]
    audit.record(session, actor=world.lead, action="save", entity="data_point",
                 entity_id="7:12", site_id=world.site_a.id,
                 after={"measure_id": 7, "changes": points})
    session.commit()
    sign_in(client, world.programme)
    page = client.get(f"/sites/{world.site_a.id}/audit").text
    assert "changes: show all 12</span></summary>" in page
    assert "2024-12-01" in page.split("changes: show all 12")[1]  # the whole value, folded
    assert "measure id: 7" in page and "measure id: show" not in page
