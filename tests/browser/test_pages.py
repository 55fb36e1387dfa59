"""Every page each demo role can reach: no axe (WCAG 2.2 AA) violations, no console errors.

Each role signs in through the sign-in page and follows the links of the navigation and
the pages themselves, visiting one page of each kind (`/sites/{id}` once, not every site).
Every page visited is screenshotted to tests/browser/screenshots/. The crawl itself
(tests/browser/crawl.py) starts in the background as soon as the server is up.
"""

import re

import pytest

from tests.browser.conftest import ROLES, run_axe, screenshot, sign_in
from tests.browser.crawl import failures_for

pytestmark = pytest.mark.browser

# What each role must at least reach by following links (kinds of page, ids as {id}).
EXPECTED = {
    "admin": {"/", "/sites", "/sites/{id}", "/sites/{id}/members", "/sites/{id}/edit",
              "/sites/{id}/audit", "/sites/new", "/learning-sets", "/learning-sets/{id}",
              "/learning-sets/{id}/edit", "/learning-sets/new", "/framework", "/admin/users",
              "/admin/users/new", "/admin/users/{id}/edit", "/admin/audit"},
    "programme": {"/", "/sites", "/sites/{id}", "/sites/{id}/members", "/sites/{id}/edit",
                  "/sites/new", "/learning-sets", "/learning-sets/{id}",
                  "/learning-sets/{id}/edit", "/learning-sets/new", "/framework"},
    "facilitator": {"/", "/sites", "/sites/{id}", "/learning-sets", "/learning-sets/{id}",
                    "/framework"},
    "lead": {"/", "/sites", "/sites/{id}", "/sites/{id}/members", "/sites/{id}/audit",
             "/framework"},
    "lived": {"/", "/sites", "/sites/{id}", "/framework"},
}
def check_page(page, problems, name: str) -> list[str]:
    """Axe, console problems and a screenshot for the page now loaded; returns failures."""
    page.wait_for_load_state("load")
    failures = failures_for(page.url, name, run_axe(page), problems)
    screenshot(page, name)
    return failures


@pytest.mark.parametrize("role", list(ROLES))
def test_every_reachable_page_is_accessible(crawls, role: str) -> None:
    result = crawls.result()[role]
    if isinstance(result, BaseException):
        raise result
    visited, failures = result
    missing = EXPECTED[role] - visited
    assert not missing, f"{role} could not reach {sorted(missing)} (visited {sorted(visited)})"
    assert not failures, "\n".join(failures)


def test_sign_in_page_is_accessible(new_page) -> None:
    page, problems = new_page()
    page.goto("/sign-in")
    failures = check_page(page, problems, "anonymous-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.locator(".nhsuk-error-summary").is_visible()
    failures += check_page(page, problems, "anonymous-sign-in-errors")
    page.get_by_label("Email address").fill("nobody@imroc.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    failures += check_page(page, problems, "anonymous-sign-in-refused")
    assert not failures, "\n".join(failures)


# (role, page with the form, button, screenshot name) for forms submitted empty.
EMPTY_FORMS = [
    ("programme", "/sites/new", "Save site", "new-site"),
    ("programme", "/learning-sets/new", "Save learning set", "new-learning-set"),
    ("admin", "/admin/users/new", "Save", "new-person"),
    ("lead", "/sites/{site}/members", "Add member", "add-member"),
    ("facilitator", "/learning-sets/{set}", "Record meeting", "record-meeting"),
]


def first_id(page, prefix: str) -> str:
    page.goto(prefix)
    href = page.locator(f"main a[href^='{prefix}/']").first.get_attribute("href")
    return re.search(r"/(\d+)", href).group(1)


@pytest.mark.parametrize(("role", "path", "button", "name"), EMPTY_FORMS,
                         ids=[f[3] for f in EMPTY_FORMS])
def test_forms_with_errors_are_accessible(new_page, role, path, button, name) -> None:
    page, problems = new_page()
    sign_in(page, ROLES[role])
    if "{site}" in path:
        path = path.format(site=first_id(page, "/sites"))
    if "{set}" in path:
        path = path.format(set=first_id(page, "/learning-sets"))
    page.goto(path)
    problems.take()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=button, exact=True).click()
    assert posted.value.status == 422
    page.wait_for_load_state("load")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    # The NHS.UK error summary component (started by app.js) takes focus.
    assert page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert page.title().startswith("Error: ")
    # Each link in the summary leads to a field on the page.
    for href in summary.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1, f"{href} is not on the page"
    failures = check_page(page, problems, f"{role}-{name}-errors")
    assert not failures, "\n".join(failures)


def test_error_pages_are_accessible(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["lived"])
    site = first_id(page, "/sites")
    failures = []
    for path, status, name in [(f"/sites/{site}/members", 403, "forbidden"),
                               ("/sites/999999", 404, "not-found")]:
        response = page.goto(path)
        assert response.status == status
        failures += check_page(page, problems, f"lived-{name}")
    assert not failures, "\n".join(failures)
