"""Helpers for test_core_loop_journey.py: people whose every page state is checked, and the
ways they fill the core loop's forms. Controls are found by role and label (the one
exception, a <summary>, is explained in open_edit)."""

import re
from dataclasses import dataclass, field

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, describe, run_axe, screenshot, sign_in

LEVELS = ["0 – Not yet started", "1 – Engagement", "2 – Development", "3 – Transformation"]
FAILED_LOAD = re.compile(r"^Failed to load resource.*status of (\d{3}) ")
FOCUSED = "(() => { const el = document.activeElement; return %s; })()"


@dataclass
class Journey:
    """The people of one journey and the failures found at the page states they reach."""

    new_page: object
    failures: list[str] = field(default_factory=list)
    states: int = 0
    prefix: str = "journey"  # of the screenshots' names: one prefix per journey

    def __post_init__(self) -> None:
        for old in SCREENSHOTS.glob(f"{self.prefix}-*.png"):  # numbered states of an earlier run
            old.unlink()

    def person(self, email: str, who: str) -> "Person":
        return Person(self, email, who)

    def assert_clean(self) -> None:
        assert not self.failures, "\n".join(self.failures)


class Person:
    """One signed-in browser page. check() runs axe on the page as it is now, takes the
    console errors and CSP violations seen since the last check (failed loads only with the
    statuses the step expects) and saves a screenshot."""

    def __init__(self, journey: Journey, email: str, who: str) -> None:
        self.journey, self.who, self.loads = journey, who, []
        self.page, self.problems = journey.new_page()
        self.page.on("console", self._console)
        sign_in(self.page, email)

    def _console(self, msg) -> None:
        if FAILED_LOAD.match(msg.text):
            self.loads.append(msg.text)

    def check(self, name: str, allow: tuple[int, ...] = ()) -> None:
        page, j = self.page, self.journey
        page.wait_for_load_state("load")
        j.states += 1
        label = f"{j.prefix}-{j.states:02d}-{self.who}-{name}"
        violations = run_axe(page)
        if violations:
            j.failures.append(f"{label} ({page.url}): axe violations:\n{describe(violations)}")
        found = self.problems.take()
        found += [t for t in self.loads if int(FAILED_LOAD.match(t).group(1)) not in allow]
        self.loads = []
        if found:
            j.failures.append(f"{label} ({page.url}) logged:\n  " + "\n  ".join(found))
        screenshot(page, label)

    def focused(self, js: str):
        return self.page.evaluate(FOCUSED % js)

    def tab_to(self, js: str, limit: int = 60) -> None:
        """Press Tab until the focused element (el) satisfies the JavaScript condition."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.focused(js):
                return
        raise AssertionError(f"{limit} presses of Tab never reached an element where {js}")

    def button(self, name: str, scope=None) -> None:
        (scope or self.page).get_by_role("button", name=name, exact=True).click()
        self.page.wait_for_load_state("load")


def challenge(page, n: int):
    """The fieldset of challenge n on a member's rating form (its legend is the title)."""
    return page.get_by_role("group", name=re.compile(rf"^{n}\. "))


def rate_with_mouse(page, levels: list[int], words: str) -> None:
    for n, level in enumerate(levels, start=1):
        group = challenge(page, n)
        group.get_by_label(LEVELS[level], exact=True).check()
        group.get_by_label("Comment or evidence (optional)").fill(f"{words}, challenge {n}.")


def rate_with_keyboard(person: Person, levels: list[int], words: str) -> None:
    """From the focused page: Tab into each challenge's radios, Space and the arrow keys to
    choose a level, Tab to the comment and type it; then Tab to the save button, Enter."""
    page, kb = person.page, person.page.keyboard
    person.tab_to("el.name === 'level_1'")  # past the header, the back link, the sub-navigation
    for n, level in enumerate(levels, start=1):
        assert person.focused("el.type + ' ' + el.name") == f"radio level_{n}", \
            f"Tab did not lead to the levels of challenge {n}"
        checked = page.evaluate(f"document.querySelector('[name=level_{n}]:checked')?.value")
        if checked is None:
            kb.press("Space")  # Tab stops on the first level of an unanswered group
            checked = "0"
        for _ in range(abs(level - int(checked))):
            kb.press("ArrowDown" if level > int(checked) else "ArrowUp")
        assert person.focused("el.checked && el.value") == str(level)
        kb.press("Tab")
        assert person.focused("el.id") == f"comment-{n}", f"Tab did not reach comment {n}"
        kb.press("ControlOrMeta+A")
        kb.type(f"{words}, challenge {n}.")
        kb.press("Tab")
    assert person.focused("el.tagName + ' ' + el.textContent.trim()") == \
        "BUTTON Save your ratings"
    with page.expect_navigation():
        kb.press("Enter")


def agree(page, agreed: list[int | None], words: str) -> None:
    """Choose the agreed level (None: none) and write the rationale of each challenge."""
    for n, level in enumerate(agreed, start=1):
        group = page.get_by_role("group", name=f"The agreed level for challenge {n}", exact=True)
        if level is not None:
            group.get_by_label(LEVELS[level], exact=True).check()
        group.get_by_label("Rationale: why the group agreed this level") \
            .fill(f"{words}, challenge {n}.")


def type_date(scope, label: str, day) -> None:
    """Type a date into the date input named `label`: day, month and year, as a person would."""
    group = scope.get_by_role("group", name=label, exact=True)
    group.get_by_label("Day", exact=True).fill(str(day.day))
    group.get_by_label("Month", exact=True).fill(str(day.month))
    group.get_by_label("Year", exact=True).fill(str(day.year))


def action_card(page, title: str):
    return page.get_by_role("article", name=title)


def open_edit(page, title: str):
    """Open an action's "Change this action" disclosure; returns the card. Browsers expose a
    <summary> as a disclosure button, but Playwright gives it no role: found by its text."""
    card = action_card(page, title)
    if not card.get_by_role("button", name="Save action").is_visible():
        card.get_by_text("Change this action").click()
    return card


def save_action(person: Person, title: str, status: int = 200):
    """Press "Save action" on the card (htmx swaps the card in place); returns the card."""
    page = person.page
    card = action_card(page, title)
    with page.expect_response(lambda r: r.request.method == "POST" and "/actions/" in r.url) \
            as answer:
        card.get_by_role("button", name="Save action").click()
    assert answer.value.status == status, answer.value.text()
    if status == 200:
        expect(card.get_by_role("status")).to_have_text("Saved.")
    # The button went with the swap: focus moves to the news in the new card, not the page top.
    expect(card).to_be_visible()
    assert person.focused("el.closest('article')?.id") == card.get_attribute("id"), \
        "focus left the action after the save"
    return card


def write_record(person: Person, part: str, texts: dict[str, str]) -> None:
    """Fill parts of the PDSA record on the cycle page and save it."""
    group = person.page.get_by_role("group", name=part, exact=True)
    for label, text in texts.items():
        group.get_by_label(label, exact=True).fill(text)
    person.button("Save the record")


def advance(person: Person, stage: str) -> None:
    page = person.page
    person.button(f"Move to the {stage} stage")
    expect(page.get_by_role("listitem").filter(has_text="Current stage")).to_contain_text(stage)
