"""The evidence page of a cycle: the upload form (CSRF, error summary, what was typed kept),
downloads through the session, removal, markup kept inert, and the frozen view at sign-off."""

import hashlib

import pytest
from sqlmodel import select

from imroc.models import Evidence
from imroc.models.assessment import ScoreIn, ScoresIn
from imroc.models.cycle import CycleCreate
from imroc.services import assessments, cycles
from imroc.services.access import load_principal
from tests import evidence_samples as sample
from tests.checks import counts, error_beside, live_tags
from tests.factories import sign_in
from tests.pages import form_fields, text

# No "/" in it: that would be a folder, and only the file's own name is kept.
MARKUP_NAME = "<b onmouseover=alert(1)>minutes<img src=x onerror=alert(2)>.pdf"
MARKUP_TITLE = '<img src=x onerror=alert("title")><a href="javascript:alert(2)">click</a>'


@pytest.fixture
def cycle(session, world):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=load_principal(session, world.lead))


def upload(client, cycle, changes: dict, file: tuple | None, *, status: int = 303):
    """Fill in the page's form as a person would and send it, with a file if given."""
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    data = form_fields(page, f"/cycles/{cycle.id}/evidence") | changes
    data.pop("file", None)
    response = client.post(f"/cycles/{cycle.id}/evidence", data=data,
                           files={"file": file} if file else {"file": ("", b"", "")},
                           follow_redirects=False)
    assert response.status_code == status, text(response.text)[:2000]
    return response


def test_a_member_adds_a_file_on_the_page_and_downloads_it(client, session, world, cycle):
    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "up to 20 MB" in text(page)
    # A member may back their own rating and the plan, not the agreed level (the lead's).
    assert 'value="rating"' in page and 'value="pdsa"' in page
    assert 'value="consensus"' not in page
    content = sample.PDF + b"% page upload\n"
    done = upload(client, cycle, {"attached_to": "rating", "challenge": "3",
                                  "title": "Ward round notes"},
                  ("Ward round.pdf", content, "application/pdf"))
    row = session.exec(select(Evidence)).one()
    assert done.headers["location"] == f"/cycles/{cycle.id}/evidence?added=true" \
                                       f"#evidence-{row.id}"
    shown = client.get(done.headers["location"]).text
    words = text(shown)
    assert "The evidence has been added." in words
    assert "Ward round.pdf" in words and "Ward round notes" in words and "PDF" in words
    assert hashlib.sha256(content).hexdigest() in shown  # in full, behind its first 12
    assert f'href="/evidence/{row.id}"' in shown
    got = client.get(f"/evidence/{row.id}")
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('attachment; filename="Wardround.pdf"')
    assert "sandbox" in got.headers["content-security-policy"]
    # The rating page lists it, the consensus page too (once the member sees others' ratings).
    assert "Ward round.pdf" in text(client.get(f"/cycles/{cycle.id}/rate").text)


def test_a_refused_file_comes_back_with_the_reason_and_what_was_typed(client, session, world,
                                                                    cycle):
    sign_in(client, world.member)
    before = counts((Evidence,))
    page = upload(client, cycle, {"attached_to": "pdsa", "title": "Our aim, written up"},
                  ("report.pdf", b"Only words in here\n", "application/pdf"), status=422).text
    assert "There is a problem" in page
    assert "The file is called report.pdf but it is not a PDF" in error_beside(page, "file")
    assert 'value="Our aim, written up"' in page
    assert 'value="pdsa" checked' in page
    page = upload(client, cycle, {"attached_to": "pdsa", "url": "javascript:alert(1)"}, None,
                  status=422).text
    assert "starts with https:// or http://" in error_beside(page, "url")
    page = upload(client, cycle, {"attached_to": "rating", "challenge": ""},
                  ("notes.txt", b"hello", "text/plain"), status=422).text
    assert "Select the challenge" in error_beside(page, "challenge")
    page = upload(client, cycle, {"attached_to": ""}, ("notes.txt", b"hello", "text/plain"),
                  status=422).text
    assert "Select what the evidence is for" in text(page)
    page = upload(client, cycle, {"attached_to": "pdsa"}, None, status=422).text
    assert "Select a file, or enter a link" in error_beside(page, "file")
    assert counts((Evidence,)) == before


def test_markup_in_names_and_titles_stays_text(client, session, world, cycle):
    sign_in(client, world.lead)
    upload(client, cycle, {"attached_to": "consensus", "challenge": "2", "title": MARKUP_TITLE},
           (MARKUP_NAME, sample.PDF, "application/pdf"))
    upload(client, cycle, {"attached_to": "pdsa", "title": MARKUP_TITLE,
                           "url": "https://example.org/?q=<script>alert(3)</script>"}, None)
    for url in (f"/cycles/{cycle.id}/evidence", f"/cycles/{cycle.id}/consensus"):
        page = client.get(url).text
        tags = live_tags(page)
        assert not any(tag == "img" and dict(attrs).get("src") == "x" for tag, attrs in tags)
        assert not any(tag == "a" and (dict(attrs).get("href") or "").startswith("javascript:")
                       for tag, attrs in tags)
        assert not any(tag == "b" and dict(attrs).get("onmouseover") for tag, attrs in tags)
        assert "&lt;b onmouseover=alert(1)&gt;minutes&lt;img src=x onerror=alert(2)&gt;.pdf" \
            in page
        assert "&lt;img src=x onerror=alert(" in page
    row = session.exec(select(Evidence).where(Evidence.kind == "file")).one()
    got = client.get(f"/evidence/{row.id}")
    assert got.headers["content-disposition"].startswith(
        'attachment; filename="bonmouseoveralert1minutesimgsrcxonerroralert2.pdf"')
    assert "<" not in got.headers["content-disposition"]


def test_evidence_is_removed_on_the_page_until_it_is_frozen_at_sign_off(client, session, world,
                                                                        cycle):
    sign_in(client, world.lead)
    upload(client, cycle, {"attached_to": "consensus", "challenge": "1"},
           ("first.csv", sample.CSV + b"1\n", "text/csv"))
    upload(client, cycle, {"attached_to": "consensus", "challenge": "1"},
           ("second.csv", sample.CSV + b"2\n", "text/csv"))
    first, second = session.exec(select(Evidence).order_by(Evidence.id)).all()
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    removed = client.post(f"/evidence/{first.id}/delete",
                          data=form_fields(page, f"/evidence/{first.id}/delete"),
                          follow_redirects=False)
    assert removed.status_code == 303
    assert "The evidence has been removed." in text(client.get(removed.headers["location"]).text)
    lead = load_principal(session, world.lead)
    assessments.set_consensus(session, cycle=cycle, site=world.site_a, principal=lead,
                              data=ScoresIn(scores=[ScoreIn(challenge=c, level=1)
                                                    for c in range(1, 11)]))
    assessments.sign_off(session, cycle=cycle, site=world.site_a, principal=lead)
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    words = text(page)
    assert "Frozen at sign-off on" in words
    assert "This is exactly the evidence that was there when the consensus was signed off" \
        in words
    assert f"/evidence/{second.id}/delete" not in page  # nothing to remove any more
    assert 'value="consensus"' not in page and 'value="rating"' not in page  # nor to add
    consensus = client.get(f"/cycles/{cycle.id}/consensus").text
    section = text(consensus[consensus.index('id="challenge-1-evidence"') + 26:
                             consensus.index('<h2 id="challenge-2-title"')])
    assert section.startswith("Evidence at sign-off") and "second.csv" in section
    assert second.sha256[:12] in section and second.sha256 in section
    assert "first.csv" not in section
    # A form left open from before is refused with the reason, nothing added.
    token = form_fields(page, "/sign-out")["csrf_token"]
    late = client.post(f"/cycles/{cycle.id}/evidence", data={
        "csrf_token": token, "attached_to": "consensus", "challenge": "1"},
        files={"file": ("late.pdf", sample.PDF, "application/pdf")}, follow_redirects=False)
    assert late.status_code == 409
    assert "signed off, so the evidence for its ratings and agreed levels is frozen" \
        in text(late.text)
    gone = client.post(f"/evidence/{second.id}/delete", data={"csrf_token": token},
                       follow_redirects=False)
    assert gone.status_code == 409 and "frozen" in text(gone.text)
    assert [e.id for e in session.exec(select(Evidence)).all()] == [second.id]


def test_people_who_cannot_add_see_no_form_and_others_get_404(client, session, world, cycle):
    sign_in(client, world.lead)
    upload(client, cycle, {"attached_to": "pdsa"}, ("plan.png", sample.png(), "image/png"))
    row = session.exec(select(Evidence)).one()
    sign_in(client, world.facilitator)
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    assert "plan.png" in text(page)
    assert f'action="/cycles/{cycle.id}/evidence"' not in page  # no form to add
    assert f'action="/evidence/{row.id}/delete"' not in page  # nor to remove
    assert client.get(f"/evidence/{row.id}").content == sample.png()
    sign_in(client, world.member_b)
    assert client.get(f"/cycles/{cycle.id}/evidence").status_code == 404
    assert client.get(f"/evidence/{row.id}").status_code == 404


def test_a_link_is_shown_as_a_link_and_its_evidence_address_leads_to_the_page(client, session,
                                                                            world, cycle):
    sign_in(client, world.member)
    upload(client, cycle, {"attached_to": "pdsa", "url": "https://www.example.org/board",
                           "title": "Board paper"}, None)
    row = session.exec(select(Evidence)).one()
    page = client.get(f"/cycles/{cycle.id}/evidence").text
    assert ('<a href="https://www.example.org/board" rel="noopener noreferrer external">'
            'Board paper</a>') in page
    response = client.get(f"/evidence/{row.id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cycles/{cycle.id}/evidence#evidence-{row.id}"
