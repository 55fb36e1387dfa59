"""Search in a real browser: the header's search box by keyboard alone, the results page, one
kind of result and a refused search, each without an accessibility violation."""

import pytest

from imroc.models.search import SEARCH_LABEL
from tests.browser.conftest import ROLES, describe, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_searching_from_the_header_by_keyboard_alone(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["programme"])
    screenshot(page, "search-header")
    assert run_axe(page) == [], describe(run_axe(page))
    box = page.get_by_role("searchbox", name=SEARCH_LABEL)
    box.focus()
    page.keyboard.type("recovery")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=recovery")
    assert page.get_by_role("heading", level=1).inner_text() == "Search results"
    assert "results for “recovery”" in page.inner_text("#result-count")
    assert page.locator("mark").count() > 0
    screenshot(page, "search-results")
    assert run_axe(page) == [], describe(run_axe(page))

    # One kind, from the list of kinds with their counts.
    page.get_by_role("navigation", name="Show results of one kind").get_by_role(
        "link").first.click()
    page.wait_for_url("**kind=**")
    assert run_axe(page) == [], describe(run_axe(page))

    # A result opens its page by keyboard.
    first = page.locator(".app-search-result a").first
    href = first.get_attribute("href")
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: href.split("#")[0] in url)
    assert problems.take() == []


def test_a_refused_search_says_what_to_do(new_page) -> None:
    page, problems = new_page()
    sign_in(page, ROLES["lead"])
    page.goto("/search?q=a")
    assert "Enter at least 2 characters to search for" in page.inner_text(
        ".nhsuk-error-summary")
    page.get_by_role("link", name="Enter at least 2 characters to search for").click()
    assert page.evaluate("document.activeElement.id") == "q"
    assert run_axe(page) == [], describe(run_axe(page))
    page.get_by_label(SEARCH_LABEL).fill("zzzqqq")
    page.get_by_role("button", name="Search").last.click()
    page.wait_for_url("**q=zzzqqq**")
    assert "No results for “zzzqqq”" in page.inner_text("main")
    assert run_axe(page) == [], describe(run_axe(page))
    assert problems.take() == []
