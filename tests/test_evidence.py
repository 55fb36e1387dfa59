"""Evidence over the API: the kinds of file taken (read from the content), links, the size
limit, who may add, see and remove it, and freezing at sign-off and at closing."""

import hashlib
import secrets
from urllib.parse import quote

import pytest
from sqlmodel import select

from imroc.config import get_settings
from imroc.files import default_store
from imroc.models import AuditEvent, Evidence
from tests import evidence_samples as sample
from tests.core_loop import API, advance_to, ok, open_cycle, ratings, refused, scores


def send(client, headers, cid, *, name=None, content=b"", claimed="application/octet-stream",
         **fields):
    """POST /cycles/{cid}/evidence as multipart: a file (when named) and the other fields."""
    files = {"file": (name, content, claimed)} if name is not None else None
    data = {k: str(v) for k, v in fields.items()}
    return client.post(f"{API}/cycles/{cid}/evidence", headers=headers, data=data, files=files)


def unique_csv() -> bytes:
    return sample.CSV + f"Note,{secrets.token_hex(8)}\n".encode()


def stored_count() -> int:
    return sum(1 for _ in default_store().all_files())


@pytest.fixture
def cycle(client, w) -> int:
    return open_cycle(client, w.h["lead"], w.site_a.id)["id"]


def test_a_pdf_is_attached_and_comes_back_byte_for_byte_as_an_attachment(client, session, w,
                                                                          cycle):
    content = sample.PDF + secrets.token_bytes(16)
    body = ok(send(client, w.h["member"], cycle, name="Steering group minutes.pdf",
                   content=content, claimed="text/html", attached_to="rating", challenge=2,
                   title="Minutes, May"), 201)
    assert body["kind"] == "file" and body["attached_to"] == "rating"
    assert body["challenge"] == 2 and body["rater_id"] == w.member.id
    assert body["content_type"] == "application/pdf"  # from the content, not what was claimed
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["name"] == "Steering group minutes.pdf" and body["title"] == "Minutes, May"
    assert body["frozen"] is False and body["added_by"] == w.member.id
    assert default_store().path_of(body["sha256"]).read_bytes() == content

    got = client.get(body["download_url"], headers=w.h["member"])
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        'attachment; filename="Steeringgroupminutes.pdf"; '
        "filename*=UTF-8''" + quote("Steering group minutes.pdf", safe=""))
    csp = got.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert "no-store" in got.headers["cache-control"]
    # Whoever may see the cycle may read it: the lead, the facilitator, the programme team.
    for role in ("lead", "facilitator", "programme"):
        assert client.get(body["download_url"], headers=w.h[role]).content == content

    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "evidence")).one()
    assert (event.action, event.entity_id, event.actor_id, event.site_id) == \
        ("add", str(body["id"]), w.member.id, w.site_a.id)
    assert event.after["sha256"] == body["sha256"] and event.after["file_name"] == body["name"]


@pytest.mark.parametrize(("name", "content", "media"), [
    ("photo.png", sample.png(), "image/png"),
    ("photo.JPG", sample.JPEG, "image/jpeg"),
    ("photo.jpeg", sample.JPEG, "image/jpeg"),
    ("anim.gif", sample.GIF, "image/gif"),
    ("photo.webp", sample.WEBP, "image/webp"),
    ("plan.docx", sample.office("docx"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("figures.xlsx", sample.office("xlsx"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("talk.pptx", sample.office("pptx"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("plan.odt", sample.opendocument("odt"), "application/vnd.oasis.opendocument.text"),
    ("figures.ods", sample.opendocument("ods"), "application/vnd.oasis.opendocument.spreadsheet"),
    ("figures.csv", sample.CSV, "text/csv"),
    ("figures.csv", sample.CSV.decode().encode("cp1252"), "text/csv"),
    ("notes.txt", "Réunion du groupe\n".encode(), "text/plain"),
])
def test_each_kind_of_file_taken_is_recognised_by_its_content(client, w, cycle, name, content,
                                                              media):
    body = ok(send(client, w.h["member"], cycle, name=name, content=content,
                   attached_to="pdsa"), 201)
    assert body["content_type"] == media
    got = client.get(body["download_url"], headers=w.h["lead"])
    assert got.content == content and got.headers["content-type"].startswith(media)


@pytest.mark.parametrize(("name", "content", "words"), [
    ("report.pdf", b"Just some text, not a PDF at all.\n",
     "The file is called report.pdf but it is not a PDF"),
    ("report.pdf", sample.png(), "The file is called report.pdf but it is not a PDF"),
    ("photo.png", sample.JPEG, "The file is called photo.png but it is not a PNG image"),
    ("plan.docx", sample.plain_zip(), "The file is called plan.docx but it is not a Word"),
    ("plan.docx", sample.PDF, "The file is called plan.docx but it is not a Word"),
    ("figures.csv", b"\x00\x01\x02binary\xff\xfe", "The file is called figures.csv but it is not"),
    ("page.html", sample.HTML, "is a web page or an SVG image, which cannot be added"),
    ("picture.svg", sample.SVG, "is a web page or an SVG image, which cannot be added"),
    ("picture.png", sample.SVG, "The file is called picture.png but it holds a web page"),
    ("notes.txt", sample.HTML, "it holds a web page or an SVG image"),
    ("data.csv", b"  <svg><script>alert(1)</script></svg>", "it holds a web page or an SVG"),
    ("plan.docx", sample.office("docx", macros=True), "plan.docx contains macros"),
    ("plan.docm", sample.office("docx", macros=True), "plan.docm is a file with macros"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "in an older Office format"),
    ("tool.exe", b"MZ\x90\x00", "tool.exe is not a kind of file that can be added"),
    ("README", b"hello", "has no ending (like .pdf)"),
    ("empty.pdf", b"", "empty.pdf is empty"),
])
def test_files_that_are_not_what_they_claim_or_could_run_are_refused(client, session, w, cycle,
                                                                     name, content, words):
    before = stored_count()
    body = refused(session, lambda: send(client, w.h["member"], cycle, name=name,
                                         content=content, claimed="application/pdf",
                                         attached_to="pdsa"), 422)
    assert body["detail"][0]["loc"][-1] == "file"
    assert words in body["detail"][0]["msg"]
    assert stored_count() == before  # nothing refused reaches the store
    assert session.exec(select(Evidence)).all() == []


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_kept(monkeypatch, session):
    from fastapi.testclient import TestClient

    from imroc.main import create_app
    from tests.core_loop import make_world

    monkeypatch.setenv("IMROC_EVIDENCE_MAX_BYTES", "4096")
    monkeypatch.setenv("IMROC_MAX_UPLOAD_BYTES", "2048")  # other forms: less than a file
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="https://testserver") as client:
            w = make_world(session, client)
            cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
            before = stored_count()
            exactly = ok(send(client, w.h["member"], cid, name="at-limit.csv",
                              content=b"a,b\n" * 1024, attached_to="pdsa"), 201)
            assert exactly["size"] == 4096
            over = refused(session, lambda: send(client, w.h["member"], cid, name="big.csv",
                                                 content=b"a,b\n" * 1025, attached_to="pdsa"),
                           413)
            assert [(d["field"], d["msg"]) for d in over["detail"]] == [
                ("file", "The selected file must be smaller than 4 KB")]
            # Far beyond it, the body is refused before anything reads it.
            huge = send(client, w.h["member"], cid, name="huge.csv",
                        content=b"x" * (600 * 1024), attached_to="pdsa")
            assert huge.status_code == 413
            assert huge.json()["detail"] == "The request is larger than 4 KB"
            assert stored_count() == before + 1
    finally:
        get_settings.cache_clear()


def test_the_same_content_is_stored_once_however_often_it_is_added(client, session, w, cycle):
    content = unique_csv()
    before = stored_count()
    first = ok(send(client, w.h["member"], cycle, name="figures.csv", content=content,
                    attached_to="pdsa"), 201)
    second = ok(send(client, w.h["lead"], cycle, name="same figures.csv", content=content,
                     attached_to="consensus", challenge=4), 201)
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert stored_count() == before + 1
    assert sorted(e.name for e in session.exec(select(Evidence)).all()) == \
        ["figures.csv", "same figures.csv"]


def test_links_are_http_or_https_only(client, session, w, cycle):
    body = ok(send(client, w.h["member"], cycle, attached_to="pdsa",
                   url="https://www.example.org/report?page=2#summary",
                   title="Trust board report"), 201)
    assert body["kind"] == "link" and body["sha256"] is None and body["download_url"] is None
    assert body["url"] == "https://www.example.org/report?page=2#summary"
    got = ok(client.get(f"{API}/evidence/{body['id']}", headers=w.h["facilitator"]))
    assert got["url"] == body["url"] and got["title"] == "Trust board report"
    for bad, words in [("javascript:alert(1)", "starts with https:// or http://"),
                       ("JavaScript://example.org/%0Aalert(1)", "starts with https://"),
                       ("data:text/html,<script>alert(1)</script>", "starts with https://"),
                       ("ftp://example.org/file", "starts with https://"),
                       ("//example.org/file", "starts with https://"),
                       ("https://", "starts with https://"),
                       ("https://nhs.uk@evil.example/", "without a user name or password"),
                       ("https://exa mple.org/", "without spaces")]:
        detail = refused(session, lambda bad=bad: send(client, w.h["member"], cycle,
                                                       attached_to="pdsa", url=bad), 422)
        assert detail["detail"][0]["loc"][-1] == "url" and words in detail["detail"][0]["msg"]


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({}, "attached_to", "Select what the evidence is for"),
    ({"attached_to": "somewhere"}, "attached_to", "Select what the evidence is for"),
    ({"attached_to": "rating"}, "challenge", "Select the challenge"),
    ({"attached_to": "consensus", "challenge": 11}, "challenge", "10 or less"),
    ({"attached_to": "pdsa", "challenge": 3}, "challenge", "Leave out the challenge"),
    ({"attached_to": "action"}, "action_id", "Select the action"),
    ({"attached_to": "pdsa", "action_id": 1}, "action_id", "Leave out the action"),
    ({"attached_to": "pdsa"}, "file", "Select a file, or enter a link"),
    ({"attached_to": "pdsa", "url": "https://example.org", "file": True}, "file",
     "not both"),
    ({"attached_to": "pdsa", "title": "x" * 201, "url": "https://example.org"}, "title",
     "200 characters or fewer"),
])
def test_what_the_evidence_is_for_must_be_clear(client, session, w, cycle, fields, field,
                                               words):
    fields = dict(fields)
    with_file = fields.pop("file", False)
    response = refused(session, lambda: send(
        client, w.h["lead"], cycle, **({"name": "a.pdf", "content": sample.PDF}
                                       if with_file else {}), **fields), 422)
    found = {d["loc"][-1]: d["msg"] for d in response["detail"]}
    assert field in found and words in found[field], found


def test_an_action_not_of_this_cycle_is_refused_and_an_actions_evidence_goes_with_it(
        client, session, w, cycle):
    lead = w.h["lead"]
    advance_to(client, lead, cycle, "do")
    action = ok(client.get(f"{API}/cycles/{cycle}/actions", headers=lead))[0]
    body = ok(send(client, w.h["member"], cycle, name="poster.png", content=sample.png(),
                   attached_to="action", action_id=action["id"]), 201)
    assert body["action_id"] == action["id"] and body["challenge"] is None
    refused(session, lambda: send(client, w.h["member"], cycle, name="x.png",
                                  content=sample.png(), attached_to="action",
                                  action_id=action["id"] + 1000), 422)
    ok(client.delete(f"{API}/actions/{action['id']}?version={action['version']}",
                     headers=lead), 204)
    assert session.exec(select(Evidence).where(Evidence.id == body["id"])).first() is None
    assert client.get(f"{API}/evidence/{body['id']}", headers=lead).status_code == 404


def test_another_sites_people_get_404_for_the_list_the_file_and_its_removal(client, session, w,
                                                                          cycle):
    body = ok(send(client, w.h["lead"], cycle, name="minutes.pdf", content=sample.PDF,
                   attached_to="consensus", challenge=1), 201)
    for role in ("member_b", "other_facilitator"):
        for method, url in [("GET", f"{API}/cycles/{cycle}/evidence"),
                            ("GET", f"{API}/evidence/{body['id']}"),
                            ("DELETE", f"{API}/evidence/{body['id']}")]:
            response = client.request(method, url, headers=w.h[role])
            assert response.status_code == 404, (role, method, url, response.text)
        upload = send(client, w.h[role], cycle, name="x.pdf", content=sample.PDF,
                      attached_to="pdsa")
        assert upload.status_code == 404
    assert client.get(f"{API}/evidence/{body['id'] + 999}", headers=w.h["lead"]).status_code \
        == 404
    assert session.exec(select(Evidence)).one().id == body["id"]


def test_only_the_steering_group_adds_and_only_the_lead_backs_an_agreed_level(client, session,
                                                                            w, cycle):
    for role in ("facilitator", "programme"):
        detail = refused(session, lambda role=role: send(
            client, w.h[role], cycle, name="x.pdf", content=sample.PDF, attached_to="pdsa"),
            403)
        assert "steering group" in detail["detail"]
    detail = refused(session, lambda: send(client, w.h["member"], cycle, name="x.pdf",
                                           content=sample.PDF, attached_to="consensus",
                                           challenge=1), 403)
    assert "lead" in detail["detail"]


def test_a_rater_backs_only_their_own_rating_and_others_see_it_when_they_see_ratings(
        client, session, w, cycle):
    lead, member = w.h["lead"], w.h["member"]
    leads = ok(send(client, lead, cycle, name="lead.csv", content=unique_csv(),
                    attached_to="rating", challenge=5), 201)
    mine = ok(send(client, member, cycle, name="mine.csv", content=unique_csv(),
                   attached_to="rating", challenge=5), 201)
    # A rating's evidence belongs to whoever added it: there is no one else's to name.
    assert (leads["rater_id"], mine["rater_id"]) == (w.lead.id, w.member.id)
    # The member has not rated all ten: as with the ratings, they see only their own.
    listed = ok(client.get(f"{API}/cycles/{cycle}/evidence", headers=member))
    assert [e["id"] for e in listed] == [mine["id"]]
    assert client.get(f"{API}/evidence/{leads['id']}", headers=member).status_code == 404
    # Nor may they remove the lead's (the lead may remove anyone's before it is frozen).
    detail = refused(session, lambda: client.delete(f"{API}/evidence/{leads['id']}",
                                                    headers=member), 404)
    assert detail["detail"] == "Evidence not found"
    ok(client.put(f"{API}/cycles/{cycle}/ratings", json=ratings(2), headers=member))
    listed = ok(client.get(f"{API}/cycles/{cycle}/evidence", headers=member))
    assert [e["id"] for e in listed] == [leads["id"], mine["id"]]
    detail = refused(session, lambda: client.delete(f"{API}/evidence/{leads['id']}",
                                                    headers=member), 403)
    assert "Only the person who added this evidence" in detail["detail"]
    assert client.get(f"{API}/evidence/{leads['id']}", headers=member).status_code == 200
    ok(client.delete(f"{API}/evidence/{mine['id']}", headers=lead), 204)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "remove")).one()
    assert event.entity == "evidence" and event.before["sha256"] == mine["sha256"]


def test_evidence_of_ratings_and_agreed_levels_is_frozen_at_sign_off(client, session, w, cycle):
    lead, member = w.h["lead"], w.h["member"]
    kept = ok(send(client, lead, cycle, name="agreed.pdf", content=sample.PDF,
                   attached_to="consensus", challenge=1), 201)
    rating = ok(send(client, member, cycle, name="mine.csv", content=unique_csv(),
                     attached_to="rating", challenge=1), 201)
    ok(client.put(f"{API}/cycles/{cycle}/consensus", json=scores(1), headers=lead))
    ok(client.post(f"{API}/cycles/{cycle}/consensus/sign-off", headers=lead))
    for who, fields in [(lead, {"attached_to": "consensus", "challenge": 2}),
                        (member, {"attached_to": "rating", "challenge": 2})]:
        detail = refused(session, lambda who=who, fields=fields: send(
            client, who, cycle, name="late.pdf", content=sample.PDF, **fields), 409)
        assert "signed off" in detail["detail"] and "frozen" in detail["detail"]
    detail = refused(session, lambda: client.delete(f"{API}/evidence/{kept['id']}",
                                                    headers=lead), 409)
    assert "frozen" in detail["detail"]
    # The frozen view is exactly what was there at sign-off, each file with its hash.
    listed = ok(client.get(f"{API}/cycles/{cycle}/evidence", headers=w.h["facilitator"]))
    assert [(e["name"], e["sha256"], e["frozen"]) for e in listed] == [
        ("agreed.pdf", kept["sha256"], True), ("mine.csv", rating["sha256"], True)]
    # The PDSA record is not frozen until the cycle closes.
    ok(send(client, member, cycle, url="https://example.org/aim", attached_to="pdsa"), 201)
    # Reopening (with a reason) unfreezes them, as it does the ratings.
    ok(client.post(f"{API}/cycles/{cycle}/consensus/reopen", headers=lead,
                   json={"reason": "A carer's view came in late"}))
    ok(send(client, member, cycle, name="late.pdf", content=sample.PDF, attached_to="rating",
            challenge=2), 201)


def test_evidence_of_actions_and_the_pdsa_record_is_frozen_when_the_cycle_closes(
        client, session, w, cycle):
    lead = w.h["lead"]
    advance_to(client, lead, cycle, "act")
    action = ok(client.get(f"{API}/cycles/{cycle}/actions", headers=lead))[0]
    kept = ok(send(client, w.h["member"], cycle, name="poster.png", content=sample.png(),
                   attached_to="action", action_id=action["id"]), 201)
    # The assessment is finished: its evidence is frozen already.
    refused(session, lambda: send(client, lead, cycle, name="x.pdf", content=sample.PDF,
                                  attached_to="consensus", challenge=1), 409)
    advance_to(client, lead, cycle, "closed")
    for fields in ({"attached_to": "action", "action_id": action["id"]},
                   {"attached_to": "pdsa"}):
        detail = refused(session, lambda fields=fields: send(
            client, w.h["member"], cycle, name="late.png", content=sample.png(), **fields), 409)
        assert "is closed" in detail["detail"] and "frozen" in detail["detail"]
    refused(session, lambda: client.delete(f"{API}/evidence/{kept['id']}", headers=lead), 409)
    listed = ok(client.get(f"{API}/cycles/{cycle}/evidence", headers=lead))
    assert [(e["id"], e["sha256"], e["frozen"]) for e in listed] == \
        [(kept["id"], kept["sha256"], True)]


def test_a_file_missing_from_the_store_is_a_plain_404_not_an_error(client, w, cycle):
    content = unique_csv()
    body = ok(send(client, w.h["member"], cycle, name="lost.csv", content=content,
                   attached_to="pdsa"), 201)
    default_store().path_of(body["sha256"]).unlink()
    response = client.get(body["download_url"], headers=w.h["member"])
    assert response.status_code == 404 and "restore" in response.json()["detail"]


def test_names_keep_only_the_file_and_stay_as_given_for_display(client, w, cycle):
    body = ok(send(client, w.h["member"], cycle, name="C:\\Users\\sam\\Évaluation «mai».pdf",
                   content=sample.PDF, attached_to="pdsa"), 201)
    assert body["name"] == "Évaluation «mai».pdf"
    got = client.get(body["download_url"], headers=w.h["member"])
    assert got.headers["content-disposition"] == (
        'attachment; filename="valuationmai.pdf"; filename*=UTF-8\'\''
        + quote("Évaluation «mai».pdf", safe=""))
    long_name = "r" * 300 + ".pdf"
    body = ok(send(client, w.h["member"], cycle, name=long_name, content=sample.PDF,
                   attached_to="pdsa"), 201)
    assert len(body["name"]) == 255 and body["name"].endswith(".pdf")
