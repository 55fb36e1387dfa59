"""Export and import pages in a real browser: a download, the check-only report with its
table of problems, then the import itself; no axe (WCAG 2.2 AA) violation on any of them.

Screenshots go to tests/browser/screenshots/data-*.png.
"""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from tests.browser.conftest import ROLES, describe, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser


def check(page, problems, name: str) -> None:
    screenshot(page, f"data-{name}")
    violations = run_axe(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"
    found = [p for p in problems.take() if "status of 422" not in p]
    assert not found, f"{name} logged problems:\n  " + "\n  ".join(found)


def workbook(level: int) -> bytes:
    book = Workbook()
    sites = book.active
    sites.title = "Sites"
    sites.append(["Site", "Kind of site", "Region"])
    sites.append(["Browser Import Site", "learning_set", "East"])
    consensus = book.create_sheet("Consensus")
    consensus.append(["Site", "Cycle", "Cycle started on", "Challenge", "Agreed level"])
    for challenge in range(1, 11):
        consensus.append(["Browser Import Site", 1, "2023-01-09", challenge,
                          level if challenge == 5 else 1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(page, data: bytes, *, check_only: bool) -> None:
    page.get_by_label("File to import").set_input_files(
        {"name": "history.xlsx", "buffer": data,
         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    box = page.get_by_label(re.compile("^Check the file"))
    if box.count():
        box.set_checked(check_only)
    page.get_by_role("button", name=re.compile("^(Upload|Import the file)$")).click()


def test_export_then_check_and_import_a_workbook(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["programme"])
    # The header folds the links that do not fit under "More" (there are more of them now).
    link = page.get_by_role("link", name="Export and import").first
    if not link.is_visible():
        page.locator(".nhsuk-header__menu-toggle").click()
        link = page.locator(".nhsuk-header__menu-list a", has_text="Export and import")
    link.click()
    page.wait_for_url(re.compile("/data$"))
    check(page, problems, "index")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the site's history").click()
    assert re.fullmatch(r"imroc-site-\d+\.xlsx", download.value.suggested_filename)
    with open(download.value.path(), "rb") as fh:
        book = load_workbook(io.BytesIO(fh.read()))
    assert book.sheetnames[:2] == ["Sites", "Cycles"]

    page.get_by_role("link", name=re.compile("^Import earlier assessments")).click()
    check(page, problems, "import")
    upload(page, workbook(level=9), check_only=True)
    assert page.get_by_role("heading", name="Problems in the file").is_visible()
    assert page.get_by_role("row", name=re.compile("Consensus 6 Agreed level 9")).count() == 1
    check(page, problems, "problems")

    page.goto("/data/import")
    upload(page, workbook(level=2), check_only=True)
    assert page.get_by_role("heading", name="The file is ready to import").is_visible()
    check(page, problems, "ready")
    upload(page, workbook(level=2), check_only=False)
    assert page.get_by_text("Import complete").first.is_visible()
    check(page, problems, "complete")
