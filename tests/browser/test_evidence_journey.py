"""Evidence in a real browser: Hollinsmere's lead opens the evidence page of the site's open
cycle, chooses a text file named like a PDF (refused: the error summary leads to the file
box, what was typed is kept), then a real PDF, and downloads it under its own name. Every page
state is checked with axe (WCAG 2.2 AA) and for console errors and CSP violations, and
screenshotted to tests/browser/screenshots/evidence-*.png."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey
from tests.evidence_samples import PDF

pytestmark = pytest.mark.browser

SITE = "Hollinsmere Community Mental Health"
LEAD = "s02.lead@imroc.example"


def test_a_lead_adds_evidence_to_the_pdsa_record(new_page, tmp_path):
    journey = Journey(new_page, prefix="evidence")
    lead = journey.person(LEAD, "lead")
    page = lead.page
    page.get_by_role("link", name="Sites", exact=True).click()
    page.get_by_role("link", name=SITE).click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    page.get_by_role("link", name=re.compile(r"^go to cycle \d+$")).click()
    page.wait_for_url(re.compile(r"/cycles/\d+$"))
    page.get_by_role("link", name="Evidence for this cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence")
    lead.check("page")

    fake, real = tmp_path / "Board report.pdf", tmp_path / "Steering group minutes.pdf"
    fake.write_text("Only words in here, not a PDF.\n")
    real.write_bytes(PDF)
    page.get_by_role("radio", name=re.compile("The PDSA record")).check()
    page.get_by_label("What it is (optional)").fill("Minutes, May")
    page.get_by_label("Upload a file").set_input_files(str(fake))
    lead.button("Add evidence")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The file is called Board report.pdf but it is not a PDF")
    expect(page.get_by_label("What it is (optional)")).to_have_value("Minutes, May")
    expect(page.get_by_role("radio", name=re.compile("The PDSA record"))).to_be_checked()
    expect(page.get_by_label("Upload a file")).to_have_accessible_description(
        re.compile("it is not a PDF"))
    lead.check("refused", allow=(422,))
    summary.get_by_role("link").first.click()
    assert lead.focused("el.id") == "file"

    page.get_by_label("Upload a file").set_input_files(str(real))
    lead.button("Add evidence")
    expect(page.get_by_text("The evidence has been added.")).to_be_visible()
    row = page.locator("tr", has_text="Steering group minutes.pdf")
    expect(row).to_contain_text("PDF")
    expect(row).to_contain_text("Minutes, May")
    lead.check("added")
    with page.expect_download() as download:
        row.get_by_role("link", name="Steering group minutes.pdf").click()
    assert download.value.suggested_filename == "Steering group minutes.pdf"
    assert open(download.value.path(), "rb").read() == PDF
    journey.assert_clean()
