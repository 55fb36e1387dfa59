"""Printable reports in a real browser: reached from the dashboards, no axe (WCAG 2.2 AA)
violation on screen, only the report when printed, and the PDF link downloads a PDF.

Screenshots go to tests/browser/screenshots/report-*.png.
"""

import re

import pytest

from tests.browser.conftest import ROLES, describe, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def check(page, problems, name: str) -> None:
    screenshot(page, f"report-{name}")
    violations = run_axe(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page scrolls sideways ({width})"
    found = problems.take()
    assert not found, f"{name} logged problems:\n  " + "\n  ".join(found)


def printed_only_the_report(page) -> None:
    page.emulate_media(media="print")
    try:
        for hidden in (".nhsuk-header", ".nhsuk-footer", ".nhsuk-back-link",
                       ".app-report__screen-only"):
            assert not page.locator(hidden).first.is_visible(), hidden
        assert page.locator(".app-report h1").is_visible()
    finally:
        page.emulate_media(media="screen")


def test_site_report_from_the_dashboard(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["facilitator"])
    page.goto("/sites")
    site = page.locator("main a[href^='/sites/']").filter(has_text=re.compile(r"\w")).last
    site.click()
    page.get_by_role("link", name=re.compile("^Dashboard")).click()
    page.get_by_role("link", name=re.compile("^Print or download PDF")).click()
    page.wait_for_url(re.compile(r"/sites/\d+/report$"))
    assert page.locator("svg.app-report-chart[role=img]").count() >= 1
    check(page, problems, "site")
    printed_only_the_report(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("download it as a PDF")).click()
    assert re.fullmatch(r"imroc-report-[a-z0-9-]+-\d{4}-\d\d-\d\d\.pdf",
                        download.value.suggested_filename)
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    page.evaluate("document.activeElement.blur()")  # the clicked link keeps its focus style
    page.set_viewport_size(PHONE)
    check(page, problems, "site-phone")


def test_learning_set_report_from_the_dashboard(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["facilitator"])
    page.goto("/learning-sets")
    page.locator("main a[href^='/learning-sets/']").first.click()
    page.get_by_role("link", name=re.compile("^Dashboard")).click()
    page.get_by_role("link", name=re.compile("^Hide site names")).click()
    page.get_by_role("link", name=re.compile("^Print or download PDF")).click()
    page.wait_for_url(re.compile(r"/learning-sets/\d+/report\?anonymise=true$"))
    # The sites side by side, and their actions.
    assert page.get_by_role("row", name=re.compile("^Site A ")).count() == 2
    check(page, problems, "learning-set-anonymised")
    printed_only_the_report(page)
