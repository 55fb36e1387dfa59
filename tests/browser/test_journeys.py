"""Journeys through the real pages: keyboard-only sign-in, the header, forms with selects,
the API documentation page. Each also checks for console errors and CSP violations."""

import re
from datetime import date

import pytest

from tests.browser.conftest import ROLES, describe, run_axe, screenshot, sign_in
from tests.browser.journey import type_date

pytestmark = pytest.mark.browser

FOCUSED = "document.activeElement"


def focused(page, js: str):
    return page.evaluate(f"(() => {{ const el = {FOCUSED}; return {js}; }})()")


def has_focus_style(page) -> bool:
    """The NHS.UK focus style: a yellow background, outline or box shadow."""
    return focused(page, "(() => { const s = getComputedStyle(el);"
                         " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'"
                         " || s.backgroundColor === 'rgb(255, 235, 59)'; })()")


def test_sign_in_with_the_keyboard_only(new_page) -> None:
    page, problems = new_page()
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    assert focused(page, "el.classList.contains('nhsuk-skip-link')"), "Tab 1 is not the skip link"
    assert focused(page, "el.textContent.trim()") == "Skip to main content"
    assert page.locator(".nhsuk-skip-link").is_visible()  # shown when it has focus
    page.keyboard.press("Enter")
    assert focused(page, "el.id") == "maincontent", "the skip link did not move focus to <main>"

    page.keyboard.press("Tab")
    assert focused(page, "el.id") == "email"
    assert has_focus_style(page)
    page.keyboard.type(ROLES["lead"])
    page.keyboard.press("Tab")
    assert focused(page, "el.id") == "password"
    page.keyboard.type("imroc-demo-2026")
    page.keyboard.press("Tab")
    assert focused(page, "el.tagName + ' ' + el.textContent.trim()") == "BUTTON Sign in"
    assert has_focus_style(page)
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission from the password field
    assert page.url.endswith("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    # Signed in, the skip link is still the first stop, before the header's links.
    page.keyboard.press("Tab")
    assert focused(page, "el.classList.contains('nhsuk-skip-link')")
    assert not problems.take()


def test_sign_in_page_without_javascript_errors_when_refused(new_page) -> None:
    page, problems = new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(ROLES["lived"])
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    # The summary's link moves focus to the field it names.
    summary.locator("a").first.click()
    assert focused(page, "el.id") == "email"
    assert not problems.take()


def test_header_account_and_menu(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["admin"])
    account = page.get_by_role("navigation", name="Account")
    assert account.get_by_role("button", name="Sign out").is_visible()
    # On a narrow screen the NHS.UK header folds the links that do not fit under "More".
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/sites")
    toggle = page.locator(".nhsuk-header__menu-toggle")
    assert toggle.is_visible(), "the header menu toggle is not shown on a narrow screen"
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    audit_link = page.locator(".nhsuk-header__menu-list a", has_text="Audit trail")
    assert audit_link.is_visible()
    screenshot(page, "admin-narrow-menu-open")
    # Nothing is wider than the screen: tables stack their cells (WCAG 1.4.10 reflow).
    for path in ("/sites", "/admin/users", "/admin/audit", "/sites/1", "/sites/1/members"):
        page.goto(path)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways at 360px: {widths}"
        screenshot(page, f"admin-narrow-{path.strip('/').replace('/', '-')}")
    page.set_viewport_size({"width": 1280, "height": 900})
    # The sign-out button in the header ends the session.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    page.goto("/sites")
    assert "/sign-in" in page.url
    assert not problems.take()


def test_add_and_change_a_site_with_the_form(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["programme"])
    page.goto("/sites")
    page.get_by_role("button", name="Add a site").click()
    page.wait_for_url(re.compile(r"/sites/new$"))
    page.get_by_label("Site name").fill("Browser Test Recovery Service")
    page.get_by_label("Organisation").fill("Browser Test NHS Trust")
    page.get_by_label("Kind of site").select_option(label="Pilot site (30 consultancy days)")
    page.get_by_label("Learning set", exact=True).select_option(label="Midlands learning set")
    page.get_by_label("Region").fill("Midlands")
    type_date(page, "Date joined the programme", date(2024, 3, 14))
    page.get_by_role("button", name="Save site").click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Browser Test Recovery Service"
    assert "Midlands learning set" in page.locator("main table").inner_text()

    # Changing the site starts from its current values: saving unchanged keeps them.
    page.get_by_role("link", name="Change site details").click()
    assert page.get_by_label("Kind of site").input_value() == "pilot"
    assert page.locator("#learning-set-id option:checked").inner_text() == "Midlands learning set"
    page.get_by_label("Consultancy days allocated").fill("32")
    page.get_by_role("button", name="Save site").click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    details = page.locator("main .nhsuk-summary-list").inner_text()
    assert "Pilot site" in details and "0 used of 32 allocated" in details
    assert page.locator("main table tbody tr").count() == 1  # still in the same learning set

    # Consultancy days are dated entries; the site's total follows them.
    page.locator("a[href$='/consultancy']").first.click()
    page.get_by_label("Day", exact=True).fill("3")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("Days", exact=True).fill("1.5")
    page.get_by_label("What it was for").fill("Steering group workshop")
    page.get_by_label("Or the peer trainer's name").fill("Sam Trainer")
    page.get_by_role("button", name="Record days").click()
    assert page.locator("#days-total").inner_text() == "1.5"
    assert not problems.take()


def test_api_documentation_page(new_page) -> None:
    page, problems = new_page()
    page.goto("/framework")  # the footer links to the API documentation from every page
    page.goto("/docs")
    page.wait_for_selector(".opblock")
    violations = run_axe(page)
    assert not violations, describe(violations)
    page.locator(".opblock-summary-control").first.click()
    page.wait_for_selector(".opblock-body")
    violations = run_axe(page)
    assert not violations, describe(violations)
    screenshot(page, "anonymous-docs")
    assert not problems.take()


def test_leaving_a_form_with_unsaved_typing_asks_first(new_page) -> None:
    """Typed text is never lost by a stray click: the browser asks before leaving the page;
    saving the form itself needs no question (and no JavaScript)."""
    page, problems = new_page()
    sign_in(page, ROLES["programme"])
    page.goto("/sites/new")
    asked: list[str] = []
    leave = {"now": False}

    def answer(dialog) -> None:
        asked.append(dialog.type)
        dialog.accept() if leave["now"] else dialog.dismiss()  # stay, unless told to go

    page.on("dialog", answer)
    page.get_by_label("Site name").fill("A site half typed")
    page.get_by_role("link", name="Sites", exact=True).first.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/sites/new")
    assert page.get_by_label("Site name").input_value() == "A site half typed"
    leave["now"] = True
    page.goto("/sites/new")  # the person chose to leave: the typing is theirs to drop
    assert asked == ["beforeunload", "beforeunload"]
    page.get_by_role("link", name="Sites", exact=True).first.click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/sites"))
    assert asked == ["beforeunload", "beforeunload"]  # nothing typed: no question
