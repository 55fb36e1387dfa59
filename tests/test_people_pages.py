"""The administrator's people pages: search, filters and pages (with and without htmx), a
person's own page, and importing people from CSV (check first, all or nothing, invitations
by e-mail read back from a real SMTP server)."""

from sqlalchemy import event

from imroc.db import get_engine
from imroc.models import AuditEvent, Invitation, LearningSetFacilitator, Membership, User
from imroc.services.data_io.import_plan import NO_PASSWORD
from tests.checks import counts, load
from tests.factories import api_token, csrf_from, make_member, make_user, sign_in

TABLES = (User, Membership, LearningSetFacilitator, Invitation, AuditEvent)


def _crowd(session, world, n: int) -> None:
    for i in range(n):
        make_member(session, site=world.site_b, user=make_user(
            session, name=f"Zed Crowd {i:03}", email=f"zed{i:03}@trust.example.org"))


def test_search_filters_and_pages_without_javascript(client, session, world):
    _crowd(session, world, 60)
    sign_in(client, world.admin)
    first = client.get("/admin/users?q=zed").text
    assert "60 people found, showing 1 to 25" in first
    assert "Zed Crowd 000" in first and "Zed Crowd 025" not in first
    assert 'class="nhsuk-pagination' in first and "q=zed&amp;page=2" in first
    third = client.get("/admin/users?q=zed&page=3").text
    assert "showing 51 to 60" in third and "Zed Crowd 059" in third
    # The sites column names each person's sites; the filters narrow the list.
    lead = client.get(f"/admin/users?role=site_lead&site_id={world.site_a.id}").text
    assert "1 person found" in lead and world.lead.name in lead and "Site A" in lead
    assert "Zed Crowd" not in lead
    assert "No one found" in client.get("/admin/users?q=nobody-like-this").text
    assert "2 people found" in client.get(
        "/admin/users?role=facilitator&learning_set_id=").text


def test_the_results_alone_for_htmx(client, session, world):
    _crowd(session, world, 3)
    sign_in(client, world.admin)
    r = client.get("/admin/users?q=zed", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "HX-Request" in r.headers["vary"]
    assert r.text.lstrip().startswith('<div id="people-results"')
    assert "<h1>" not in r.text and "3 people found" in r.text


def test_bad_filters_are_shown_not_a_server_error(client, world):
    sign_in(client, world.admin)
    r = client.get("/admin/users?role=wizard&site_id=abc")
    assert r.status_code == 422
    assert 'href="#role"' in r.text and 'href="#site-id"' in r.text


def test_the_list_costs_the_same_number_of_queries_at_any_size(client, session, world):
    sign_in(client, world.admin)

    def queries() -> int:
        seen: list[str] = []
        engine = get_engine()

        def listener(*args):
            seen.append(args[2])
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/users?page=1").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    small = queries()
    _crowd(session, world, 80)
    assert queries() == small


def test_a_persons_page_shows_every_place_and_how_they_sign_in(client, session, world):
    both = make_member(session, site=world.site_a, role="site_lead", perspective="carer")
    make_member(session, site=world.site_b, user=both, perspective="lived_experience")
    sign_in(client, world.admin)
    page = client.get(f"/admin/users/{both.id}").text
    assert "Signs in with" in page and "Password" in page
    assert page.index("Site A") < page.index("Site B")
    assert "Steering group lead" in page and "Carer" in page and "Lived experience" in page
    fay = client.get(f"/admin/users/{world.facilitator.id}").text
    assert "Set A" in fay and "is not on any site" in fay
    assert client.get("/admin/users/999999").status_code == 404
    both.oidc_issuer, both.oidc_subject = "https://login.trust.example", "subject-1"
    session.add(both)
    session.commit()
    assert "Single sign-on and password" in client.get(f"/admin/users/{both.id}").text


def test_only_administrators_see_people_pages(client, world):
    sign_in(client, world.programme)
    for path in ("/admin/users", f"/admin/users/{world.member.id}", "/admin/users/import"):
        assert client.get(path).status_code == 403


# --- importing people from CSV ------------------------------------------------------------

GOOD = ("Name,Email,Role,Site,Perspective,Learning set\n"
        "Ann Able,Ann@Example.org,Steering group member,Site A,Carer,\n"
        "Ben Bold,ben@example.org,site_lead,site b,staff,\n"
        "Cat Coach,cat@example.org,facilitator,,,Set B\n"
        "Dee Team,dee@example.org,Programme team,,,\n")


def _upload(client, csv: str, *, check_only=False, invite=False):
    page = client.get("/admin/users/import")
    data = {"csrf_token": csrf_from(page.text)}
    if check_only:
        data["check_only"] = "yes"
    if invite:
        data["invite"] = "yes"
    return client.post("/admin/users/import", data=data,
                       files={"file": ("people.csv", csv.encode(), "text/csv")})


def test_checking_first_changes_nothing(client, world):
    sign_in(client, world.admin)
    before = counts(TABLES)
    r = _upload(client, GOOD, check_only=True)
    assert r.status_code == 200 and "The file is ready to import" in r.text
    assert "would add 4 people" in r.text
    assert counts(TABLES) == before


def test_import_adds_everyone_with_their_places(client, world):
    sign_in(client, world.admin)
    r = _upload(client, GOOD)
    assert r.status_code == 200 and "4 people added" in r.text, r.text
    [ann] = load(User, email="ann@example.org")
    assert ann.password_hash == NO_PASSWORD and ann.global_role is None
    [m] = load(Membership, user_id=ann.id)
    assert (m.site_id, m.role, m.perspective) == (world.site_a.id, "site_member", "carer")
    [ben] = load(User, email="ben@example.org")
    assert load(Membership, user_id=ben.id)[0].site_id == world.site_b.id
    [cat] = load(User, email="cat@example.org")
    assert load(LearningSetFacilitator, user_id=cat.id)[0].learning_set_id == world.set_b.id
    assert load(User, email="dee@example.org")[0].global_role == "programme_team"
    assert "No password set yet" in client.get(f"/admin/users/{ann.id}").text
    assert {e.action for e in load(AuditEvent, actor_id=world.admin.id)} == {"import"}


def test_one_bad_row_adds_no_one_and_every_problem_is_named(client, world):
    sign_in(client, world.admin)
    bad = GOOD + ("Eve Echo,ann@example.org,Steering group member,Site A,Staff,\n"
                  "Fin Fail,not-an-address,Steering group member,Nowhere,Wizard,\n"
                  f"Old Hand,{world.member.email},Administrator,,,\n"
                  ",gus@example.org,Chief,,,\n")
    before = counts(TABLES)
    r = _upload(client, bad)
    assert r.status_code == 422 and "No one was added" in r.text
    for words in ("This e-mail address is also on row 2",
                  "Enter an e-mail address like name@example.org",
                  "No site taking part has this name", "The perspective must be one of",
                  "Someone already has an account with this e-mail address",
                  "Enter the person&#39;s full name", "The role must be one of"):
        assert words in r.text, words
    assert counts(TABLES) == before


def test_a_file_that_cannot_be_read_is_refused_beside_the_field(client, world):
    sign_in(client, world.admin)
    r = _upload(client, "Name,Site\nAnn,Site A\n")
    assert r.status_code == 422 and "The heading row has no Email, Role column" in r.text
    assert 'href="#file"' in r.text
    page = client.get("/admin/users/import")
    none = client.post("/admin/users/import", data={"csrf_token": csrf_from(page.text)})
    assert none.status_code == 422 and "Select a file to import" in none.text


def test_import_with_invitations_sends_them_and_makes_no_accounts(client, world, mailbox):
    sign_in(client, world.admin)
    r = _upload(client, GOOD, invite=True)
    assert r.status_code == 200 and "4 people invited by email" in r.text, r.text
    assert load(User, email="ann@example.org") == []
    assert len(load(Invitation)) == 4
    sent = {m["To"]: m for m in mailbox.messages}
    assert len(sent) == 4
    ann = sent["Ann Able <ann@example.org>"]
    assert ann["Subject"] == "You are invited to join Site A on ImROC self-audit"
    assert "/invitations/accept/" in mailbox.text_of(ann)
    assert sent["Cat Coach <cat@example.org>"]["Subject"].endswith("join Set B on ImROC "
                                                                   "self-audit")
    # The same people again: already invited, so the whole file is refused.
    again = _upload(client, GOOD, invite=True)
    assert again.status_code == 422 and "already been invited" in again.text
    assert len(load(Invitation)) == 4


def test_import_refused_to_everyone_but_administrators(client, world):
    sign_in(client, world.programme)
    page = client.get("/sites")
    before = counts(TABLES)
    r = client.post("/admin/users/import", data={"csrf_token": csrf_from(page.text)},
                    files={"file": ("people.csv", GOOD.encode(), "text/csv")})
    assert r.status_code == 403
    assert counts(TABLES) == before


def test_a_stale_edit_of_a_person_keeps_what_was_typed(client, world):
    sign_in(client, world.admin)
    form = client.get(f"/admin/users/{world.member.id}/edit")
    assert 'name="version" value="1"' in form.text
    h = api_token(client, world.admin)
    assert client.patch(f"/api/v1/users/{world.member.id}", headers=h,
                        json={"name": "Changed Elsewhere"}).status_code == 200
    sign_in(client, world.admin)
    token = csrf_from(client.get(f"/admin/users/{world.member.id}/edit").text)
    r = client.post(f"/admin/users/{world.member.id}/edit", data={
        "csrf_token": token, "name": "Typed <b>Here</b>", "global_role": "",
        "is_active": "true", "version": "1"})
    assert r.status_code == 409
    assert "Someone else changed this person" in r.text
    assert "Changed Elsewhere" in r.text
    assert 'value="Typed &lt;b&gt;Here&lt;/b&gt;"' in r.text
    assert 'name="version" value="2"' in r.text
    saved = client.post(f"/admin/users/{world.member.id}/edit", data={
        "csrf_token": token, "name": "Typed Here", "global_role": "",
        "is_active": "true", "version": "2"}, follow_redirects=False)
    assert saved.status_code == 303
