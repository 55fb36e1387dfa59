"""Measures in a real browser, as the demo's first site would start them (SPEC: measures).

The lead of site 1 adds a local measure (first with the name left out), types two years of
monthly values into the grid by keyboard, each row saved by itself with htmx, and opens a
PDSA cycle inside the series. The chart page then reads the series as an SPC chart: the
shift to the better second year, the target's assurance, the summary sentence, the rules,
the cycle's start on the chart and in its table, and Plotly's drawn points match what was
typed. The programme team's and a facilitator's summaries are checked too. Every page state
is checked with axe (WCAG 2.2 AA) and for console errors and CSP violations, and
screenshotted to tests/browser/screenshots/measures-*.png.

The series ends in the current month, so a cycle of site 1 opened today (by the core-loop
journey, when it ran first on the shared server) also falls inside it.
"""

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from imroc import clock
from tests.browser.journey import Journey, Person, type_date

pytestmark = pytest.mark.browser

SITE = "Riverside Recovery Service"
LEAD, PROGRAMME, FACILITATOR = ("s01.lead@imroc.example", "programme@imroc.example",
                                "facilitator1@imroc.example")
NAME = "Peer support contacts"
# Two years of monthly counts, the second year better (higher) than the first.
VALUES = [10, 11, 9, 10, 10, 11, 9, 10, 11, 9, 10, 10,
          14, 13, 15, 14, 14, 13, 15, 14, 14, 15, 13, 14]
CHALLENGE = 8
CHART_READY = ("() => document.getElementById('chart-spc')?.getAttribute('data-ready')"
               " === 'true'")
PLOTTED = ("() => document.getElementById('chart-spc').data"
           ".map(t => ({name: t.name, mode: t.mode, x: t.x, y: t.y}))")


def months_before(day: date, n: int) -> date:
    """The first day of the month n months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def label(month: date) -> str:
    return f"{month:%b %Y}"  # as the pages name a month: "Nov 2024"


def field_group(page, label_text: str):
    """The NHS.UK form group around the control with this label (its error shows there)."""
    return page.locator(".nhsuk-form-group").filter(
        has=page.get_by_label(label_text, exact=True))


def go_to_site(lead: Person) -> None:
    page = lead.page
    page.get_by_role("link", name="Sites", exact=True).click()
    page.wait_for_url(re.compile(r"/sites$"))
    page.get_by_role("link", name=SITE).click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SITE)


def add_measure(lead: Person, first: date) -> None:
    """Submit the form with no name and no direction (refused; each error beside its field,
    what was typed kept), then complete it."""
    page = lead.page
    page.get_by_role("link", name="Add a local measure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Add a local measure for {SITE}")
    lead.check("measure-form")
    page.get_by_label("Definition").fill("Contacts between people using the service and "
                                         "peer support workers, from the team diary.")
    page.get_by_role("group", name="Kind of measure").get_by_label("Count", exact=True).check()
    page.get_by_label("Unit", exact=True).fill("contacts")
    page.get_by_label("Target", exact=True).fill("11")
    page.get_by_label("Monthly", exact=True).check()
    type_date(page, "First period", first)
    page.get_by_label("SPC chart (XmR) with process limits").check()
    page.get_by_label(re.compile(rf"^{CHALLENGE}\. ")).check()
    lead.button("Save measure")
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    messages = dict(zip(links.evaluate_all("as => as.map(a => a.getAttribute('href'))"),
                        links.all_inner_texts(), strict=True))
    assert set(messages) == {"#name", "#direction"}, messages
    assert "name" in messages["#name"].lower(), messages
    # Each error is beside its field and read out with it.
    name_box = page.get_by_label("Name", exact=True)
    expect(field_group(page, "Name")).to_contain_text(messages["#name"])
    expect(name_box).to_have_accessible_description(re.compile(re.escape(messages["#name"])))
    better = page.get_by_role("group", name="Which way is better?")
    expect(better).to_contain_text(messages["#direction"])
    expect(better).to_have_accessible_description(
        re.compile(re.escape(messages["#direction"])))
    # What was typed is kept.
    expect(page.get_by_label("Unit", exact=True)).to_have_value("contacts")
    expect(page.get_by_label("Target", exact=True)).to_have_value("11")
    typed = page.get_by_role("group", name="First period", exact=True)
    for part, value in (("Day", first.day), ("Month", first.month), ("Year", first.year)):
        expect(typed.get_by_label(part, exact=True)).to_have_value(str(value))
    expect(page.get_by_label("Definition")).to_have_value(re.compile("^Contacts between"))
    expect(page.get_by_role("group", name="Kind of measure").get_by_label("Count", exact=True)) \
        .to_be_checked()
    expect(page.get_by_label(re.compile(rf"^{CHALLENGE}\. "))).to_be_checked()
    lead.check("measure-form-error", allow=(422,))
    links.filter(has_text=messages["#name"]).click()  # the summary's link leads to the box
    assert lead.focused("el.id") == "name"
    page.keyboard.type(NAME)
    better.get_by_label("Higher is better", exact=True).check()
    lead.button("Save measure")
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.get_by_text(f"{SITE} · Local measure")).to_be_visible()
    lead.check("measure-no-values")


def type_values(lead: Person, months: list[date]) -> None:
    """Type each month's value and Tab on: the row saves itself (htmx) and says so in its
    status cell; Tab passes the note and the checkbox to the next month's value."""
    page, kb = lead.page, lead.page.keyboard
    lead.tab_to(f"el.id === 'value_{months[0].isoformat()}'", limit=80)
    for month, value in zip(months, VALUES, strict=True):
        iso = month.isoformat()
        assert lead.focused("el.id") == f"value_{iso}", f"Tab did not reach {label(month)}"
        kb.type(str(value))
        with page.expect_response(lambda r, iso=iso: r.request.method == "POST"
                                  and r.url.endswith(f"/data/{iso}")) as answer:
            kb.press("Tab")  # leaving the box fires its change: the row is saved
        assert answer.value.status == 200, answer.value.text()
        row = grid_row(page, month)
        expect(row.get_by_role("cell").last).to_have_text(f"Saved {label(month)}")
        assert lead.focused("el.id") == f"annotation_{iso}"
        kb.press("Tab")
        assert lead.focused("el.id") == f"rebase_{iso}"
        kb.press("Tab")


def grid_row(page, month: date):
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=label(month), exact=True))


def check_grid_by_keyboard(lead: Person, months: list[date]) -> None:
    """Every box of the grid is reached with Tab, in order, each named with its month."""
    page = lead.page  # just reloaded: nothing has focus yet
    reached = []
    for _ in range(40 + 3 * len(months)):
        page.keyboard.press("Tab")
        el = lead.focused("[el.tagName, el.id, el.textContent.trim()]")
        if el[0] == "BUTTON" and el[2] == "Save values":
            break
        reached.append(el[1])
    else:
        raise AssertionError("Tab never reached the Save values button")
    boxes = [f"{kind}_{m.isoformat()}" for m in months for kind in ("value", "annotation",
                                                                      "rebase")]
    assert [r for r in reached if r in boxes] == boxes, "Tab missed boxes of the grid"
    # The header's search box is a form too: only the values form is counted.
    focusable = page.locator("main form input:not([type=hidden])").evaluate_all(
        "els => els.map(el => el.id)")
    assert set(focusable) == set(boxes), "the grid has boxes for other months"
    for month in months:
        name = label(month)
        expect(page.get_by_role("textbox", name=f"Value for {name}", exact=True)) \
            .to_have_count(1)
        expect(page.get_by_role("textbox", name=f"Note for {name}", exact=True)) \
            .to_have_count(1)
        expect(page.get_by_role("checkbox", name=f"Recalculate limits from {name}",
                                exact=True)).to_have_count(1)


def open_cycle(lead: Person, start: date) -> tuple[int, date]:
    """Open the site's next cycle from a date inside the series; if one is open already
    (the core-loop journey ran first), keep it. Returns cycle 1's number and start."""
    page = lead.page
    go_to_site(lead)
    opener = page.get_by_role("button", name=re.compile(r"^Open cycle \d+$"))
    if opener.count():
        type_date(page, "Start date", start)
        lead.check("open-cycle-form")
        opener.click()
        page.wait_for_url(re.compile(r"/cycles/\d+$"))
        lead.check("cycle-opened")
        go_to_site(lead)
    cycles = page.get_by_role("table", name="Plan-Do-Study-Act cycles of this site")
    first = cycles.get_by_role("row").filter(
        has=page.get_by_role("link", name="Cycle 1", exact=True))
    started = first.get_by_role("cell").nth(2).inner_text().removeprefix("Started").strip()
    return 1, datetime.strptime(started, "%d %B %Y").date()


def check_chart(lead: Person, months: list[date], cycle: tuple[int, date]) -> None:
    page = lead.page
    number, started = cycle
    cycle_month = started.replace(day=1)
    assert months[0] <= cycle_month <= months[-1], f"cycle {number} starts outside the series"
    note = f"Cycle {number} starts"
    icons = page.locator(".app-spc-icons")
    expect(icons.get_by_role("paragraph").filter(has_text="Variation:")).to_contain_text(
        "Special cause variation – improving")
    # Target 11 is between the process limits of the whole series (about 8.8 and 15.2).
    expect(icons.get_by_role("paragraph").filter(has_text="Assurance:")).to_contain_text(
        "The target will be hit and miss")
    summary = page.locator("#spc-summary")
    expect(summary).to_have_text(re.compile(
        r"^The latest value is 14 contacts \(previous 13 contacts and 15 contacts\)\. "
        r"Variation is special cause, indicating improvement: .*above the mean\. "
        r"The target of 11 contacts will be hit and miss"))
    rules = page.get_by_role("heading", name="Rules in force on this chart") \
        .locator("xpath=following-sibling::ul[1]").get_by_role("listitem")
    texts = rules.all_inner_texts()
    for words in ("A point above the upper or below the lower process limit",
                  "7 or more points in a row all above or all below the mean",
                  "7 or more points in a row all rising or all falling",
                  "Two out of three points in a row beyond two-sigma",
                  "Process limits are the mean ± 2.66 × the mean moving range",
                  "Purple dotted lines mark the start of each PDSA cycle"):
        assert any(t.startswith(words) for t in texts), f"no rule {words!r} in {texts}"

    # The chart as Plotly drew it: the note of the cycle's start, a point for each value.
    page.wait_for_function(CHART_READY)
    annotations = page.locator("#chart-spc .annotation-text").all_text_contents()
    assert note in annotations, f"the chart's notes are {annotations}"
    plotted = page.evaluate(PLOTTED)
    line = next(t for t in plotted if t["name"] == "Value")
    assert line["x"] == [label(m) for m in months]
    assert line["y"] == VALUES
    points = sorted((line["x"].index(x), y) for t in plotted if t["mode"] == "markers"
                    for x, y in zip(t["x"], t["y"], strict=True))
    assert points == list(enumerate(VALUES)), "the markers drawn are not the values typed"
    expect(page.locator("#chart-spc .scatterlayer .points path")).to_have_count(len(VALUES))

    # The same numbers as a table. (A <summary> has no role in Playwright: found by text.)
    page.get_by_text("Show the numbers as a table").click()
    table = page.get_by_role("table", name=f"{NAME}: values, limits and signals")
    expect(table).to_be_visible()
    body = table.locator("tbody").get_by_role("row")
    expect(body).to_have_count(len(VALUES))
    headers = table.get_by_role("columnheader").all_inner_texts()
    value_at, notes_at = headers.index("Value") - 1, headers.index("Notes") - 1
    for i, (month, value) in enumerate(zip(months, VALUES, strict=True)):
        row = body.nth(i)
        expect(row.get_by_role("rowheader")).to_have_text(label(month))
        cells = row.get_by_role("cell")
        expect(cells.nth(value_at)).to_have_text(str(value))
        if month == cycle_month:
            expect(cells.nth(notes_at)).to_contain_text(note)
        else:
            expect(cells.nth(notes_at)).not_to_contain_text(note)
    lead.check("chart-with-table")


def test_a_local_measure_from_definition_to_chart(new_page) -> None:
    j = Journey(new_page, prefix="measures")
    lead = j.person(LEAD, "lead")
    page = lead.page
    today = clock.today()
    # 24 months, the last of them this one.
    months = [months_before(today, n) for n in range(23, -1, -1)]

    # 1. From the site page to its measures; a local measure is added.
    go_to_site(lead)
    page.get_by_role("link", name=re.compile(r"^Measures")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Measures: {SITE}")
    lead.check("site-measures")
    add_measure(lead, months[0])
    chart_url = page.url
    expect(page.get_by_text("The chart appears once the first value has been entered.")) \
        .to_be_visible()

    # 2. The values, typed by keyboard; each row saved as it is left; kept after a reload.
    page.get_by_role("link", name="Enter or correct values").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Values: {NAME}")
    expect(page.locator("tbody").get_by_role("row")).to_have_count(len(months))
    lead.check("values-grid-empty")
    type_values(lead, months)
    lead.check("values-grid-saved")
    page.reload()
    for month, value in zip(months, VALUES, strict=True):
        expect(page.get_by_role("textbox", name=f"Value for {label(month)}", exact=True)) \
            .to_have_value(str(value))
    check_grid_by_keyboard(lead, months)
    lead.check("values-grid-reloaded")

    # 3. A cycle opened six months ago; the chart reads the series and shows the cycle.
    cycle = open_cycle(lead, months_before(today, 6).replace(day=min(today.day, 28)))
    page.goto(chart_url)
    check_chart(lead, months, cycle)
    page.get_by_role("link", name="Import values from a CSV file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Import values: {NAME}")
    lead.check("import")
    page.get_by_role("link", name="Back to the chart").click()
    page.get_by_role("link", name=f"Back to {SITE}'s measures").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=NAME))
    expect(row).to_contain_text(f"14 contacts ({label(months[-1])})")
    expect(row).to_contain_text("Special cause variation – improving")
    expect(row).to_contain_text("The target will be hit and miss")
    lead.check("site-measures-with-values")

    # 4. The programme team's summary of the core measures, and a learning set's.
    programme = j.person(PROGRAMME, "programme")
    programme.page.goto("/programme/measures")
    expect(programme.page.get_by_role("heading", level=1)).to_have_text(
        "Core measures across the programme")
    for core in ("Support for recovery (INSPIRE brief)", "People who helped write their care plan"):
        expect(programme.page.get_by_role("table", name=re.compile(
            rf"^{re.escape(core)}: latest value"))).to_be_visible()
    expect(programme.page.get_by_role("heading", name=NAME)).to_have_count(0)  # local
    programme.check("programme-measures")
    facilitator = j.person(FACILITATOR, "facilitator")
    facilitator.page.goto("/learning-sets/1/measures")
    expect(facilitator.page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Core measures in "))
    expect(facilitator.page.get_by_role("rowheader", name="Site A", exact=True).first) \
        .to_be_visible()
    facilitator.check("learning-set-measures")
    j.assert_clean()
