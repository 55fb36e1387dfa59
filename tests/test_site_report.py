"""The printable site report: its content for a known site, the PDF, escaping, access, and a
PDF engine that fetches nothing but our own static files."""

import re
import socket
import zlib
from datetime import date
from xml.etree import ElementTree

import pytest

from imroc import clock, pdf, report_svg
from imroc.models import Site
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.routes.reports import pdf_filename
from imroc.services import frameworks
from imroc.templating import uk_date
from tests.core_loop import API, advance_to, make_world, ok, open_cycle
from tests.factories import World, a_year_ahead, sign_in
from tests.pages import text

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
LEVELS_1 = [0, 1, 1, 2, 1, 0, 2, 1, 1, 1]
LEVELS_2 = [1, 1, 2, 1, 1, 0, 3, 1, 1, 1]
SVG = "{http://www.w3.org/2000/svg}"


def _scores(levels: list[int], rationale: dict[int, str] | None = None) -> dict:
    return {"scores": [{"challenge": n, "level": lv, "rationale": (rationale or {}).get(n, "")}
                       for n, lv in enumerate(levels, start=1)]}


def build_site(client, session, *, hostile: bool = False):
    """Site A through two cycles: cycle 1 closed; cycle 2 signed off and at the plan stage,
    with priorities, three actions (one overdue, one carried over), a PDSA aim and feedback."""
    world = make_world(session, client)
    h, site_id = world.h, world.site_a.id
    word = EVIL if hostile else ""
    c1 = open_cycle(client, h["lead"], site_id)["id"]
    ok(client.put(f"{API}/cycles/{c1}/ratings", headers=h["lead"],
                  json={"ratings": [{"challenge": n, "level": 1} for n in range(1, 11)]}))
    ok(client.put(f"{API}/cycles/{c1}/ratings", headers=h["member"],
                  json={"ratings": [{"challenge": n, "level": 2} for n in range(1, 11)]}))
    ok(client.put(f"{API}/cycles/{c1}/consensus", headers=h["lead"], json=_scores(LEVELS_1)))
    ok(client.post(f"{API}/cycles/{c1}/consensus/sign-off", headers=h["lead"]))
    ok(client.post(f"{API}/cycles/{c1}/advance", headers=h["lead"]))
    advance_to(client, h["lead"], c1, "closed", priority=1)
    c2 = ok(client.get(f"{API}/sites/{site_id}/cycles", headers=h["lead"]))[-1]["id"]
    # Only staff rate cycle 2: the report must warn that no lived experience is in it.
    ok(client.put(f"{API}/cycles/{c2}/ratings", headers=h["lead"],
                  json={"ratings": [{"challenge": n, "level": 1} for n in range(1, 11)]}))
    ok(client.put(f"{API}/cycles/{c2}/consensus", headers=h["lead"], json=_scores(
        LEVELS_2, {1: "Peer workers now on every ward" + word})))
    ok(client.put(f"{API}/cycles/{c2}/facilitator-ratings", headers=h["facilitator"],
                  json={"ratings": [{"challenge": 1, "level": 2}]}))
    ok(client.post(f"{API}/cycles/{c2}/consensus/sign-off", headers=h["lead"]))
    ok(client.post(f"{API}/cycles/{c2}/advance", headers=h["lead"]))
    ok(client.put(f"{API}/cycles/{c2}/priorities", headers=h["lead"], json={"priorities": [
        {"challenge": 1, "rank": 1, "target_level": 2, "reason": "Lowest level" + word},
        {"challenge": 4, "rank": 2, "target_level": 2, "reason": "Fell back"}]}))
    ok(client.post(f"{API}/cycles/{c2}/actions", headers=h["lead"], json={
        "challenge": 1, "title": "Recruit two peer workers" + word, "owner": "Sam",
        "due_on": "2024-01-31", "status": "in_progress"}), 201)
    ok(client.post(f"{API}/cycles/{c2}/actions", headers=h["lead"], json={
        "challenge": 4, "title": "Board development day", "owner": "Alex",
        "due_on": a_year_ahead().isoformat(), "status": "done"}), 201)
    ok(client.patch(f"{API}/cycles/{c2}", headers=h["lead"], json={
        "aim": "Every ward has a peer worker" + word, "prediction": "Half the wards by March"}))
    ok(client.post(f"{API}/cycles/{c2}/feedback", headers=h["facilitator"],
                   json={"body": "Strong co-production; keep going." + word}), 201)
    return world, c2


def test_report_shows_the_sites_progress(client, session):
    world, _ = build_site(client, session)
    titles = frameworks.short_titles(session)
    sign_in(client, world.member)
    page = client.get(f"/sites/{world.site_a.id}/report")
    assert page.status_code == 200, page.text
    words = text(page.text)
    assert "ImROC progress report Site A" in words
    assert "Learning set Set A" in words and "Kind of site Pilot site" in words
    assert "Consultancy days 0 used of 30 allocated" in words
    # Cycles with dates and stages.
    assert "Cycle 1 Closed 8 January 2024" in words
    assert re.search(r"Cycle 2 Plan \d+ \w+ \d{4}", words)
    # The latest signed-off consensus, with the change since cycle 1 and the facilitator's view.
    assert "Agreed levels in cycle 2" in words and "Each change is counted from cycle 1" in words
    assert (f"1. {titles[0]} 1 Engagement 0 Up 2 Peer workers now on every ward") in words
    assert f"4. {titles[3]} 1 Engagement 2 Down Not rated Not recorded" in words
    assert f"7. {titles[6]} 3 Transformation 2 Up Not rated" in words
    assert f"2. {titles[1]} 1 Engagement 1 Unchanged" in words
    # Who took part, by perspective and cycle; no lived experience in cycle 2.
    staff, lived = PERSPECTIVE_LABELS["staff"], PERSPECTIVE_LABELS["lived_experience"]
    assert f"{staff} 1 1" in words and f"{lived} 1 0" in words
    assert "No one with lived experience rated the challenges in cycle 2" in words
    # Priorities and action progress (the unfinished action of cycle 1 was carried over).
    assert f"1 1. {titles[0]} 1 2 Lowest level" in words
    assert f"2 4. {titles[3]} 1 2 Fell back" in words
    assert "3 actions in the plan; 1 overdue." in words
    assert ("Not started 0 In progress 2 Done 1 Blocked 0 Dropped 0 "
            "Overdue (not finished by the due date) 1") in words
    assert "Recruit two peer workers 1 Sam 31 January 2024 In progress (overdue)" in words
    assert f"Board development day 4 Alex {uk_date(a_year_ahead())} Done Not yet" in words
    assert "Co-produce care plans" in words
    # The PDSA record of the current cycle and the facilitator's feedback.
    assert "The PDSA record of cycle 2" in words
    assert "Aim Every ward has a peer worker Prediction Half the wards by March" in words
    assert "Strong co-production; keep going. Fay Facilitator" in words
    assert f'href="/sites/{world.site_a.id}/report.pdf"' in page.text


def _svg(page: str, chart_id: str) -> ElementTree.Element:
    match = re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title.*?</svg>', page, re.S)
    assert match, f"no chart {chart_id} in the page"
    return ElementTree.fromstring(match.group(0))


def test_report_charts_are_svg_with_text_alternatives_and_the_same_numbers(client, session):
    world, _ = build_site(client, session)
    sign_in(client, world.lead)
    page = client.get(f"/sites/{world.site_a.id}/report").text
    levels = _svg(page, "chart-levels")
    assert levels.get("role") == "img"
    assert levels.find(f"{SVG}title").text == "Agreed level on each of the ten challenges"
    assert "Cycle 2 and Cycle 1" in levels.find(f"{SVG}desc").text
    values = [t.text for t in levels.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert values == [str(v) for v in LEVELS_2]
    previous = [t.text for t in levels.iter(f"{SVG}text")
                if t.get("font-weight") == "normal" and t.get("font-size") == "11"
                and t.get("text-anchor") == "start"]
    assert previous == [str(v) for v in LEVELS_1]
    actions = _svg(page, "chart-actions")
    bars = [t.text for t in actions.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert bars == ["0", "2", "1", "0", "0"]


def _pdf_objects(body: bytes) -> bytes:
    """The PDF's bytes with every compressed stream inflated (no PDF library needed)."""
    parts = [body]
    for match in re.finditer(rb"stream\r?\n", body):
        end = body.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompressobj().decompress(body[match.end():end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_pdf_is_a_real_pdf_of_the_report(client, session):
    world, _ = build_site(client, session)
    sign_in(client, world.facilitator)
    response = client.get(f"/sites/{world.site_a.id}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="imroc-report-site-a-{clock.today().isoformat()}.pdf"')
    body = response.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    objects = _pdf_objects(body)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", objects))
    assert pages >= 2  # the plan starts on a page of its own
    # The headings become the PDF's bookmarks, in plain text.
    outline = [re.sub(rb"\\(.)", rb"\1", t)
               for t in re.findall(rb"/Title \(((?:\\.|[^\\)])*)\)", objects)]
    for heading in (b"Site A", b"Cycles", b"Agreed levels in cycle 2",
                    b"Whose voices are in the ratings", b"Priorities and actions (cycle 2)",
                    b"The PDSA record of cycle 2",
                    b"Feedback from facilitators and the programme team"):
        assert heading in outline, (heading, outline)


def test_a_site_without_cycles_still_has_a_report(client, session):
    world = World(session)
    sign_in(client, world.programme)
    words = text(client.get(f"/sites/{world.site_b.id}/report").text)
    assert "No cycle has been opened yet." in words
    assert "No consensus has been signed off yet" in words
    assert "No actions have been written yet." in words
    response = client.get(f"/sites/{world.site_b.id}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_hostile_text_is_escaped_in_the_page_and_the_pdf_still_renders(client, session):
    world, _ = build_site(client, session, hostile=True)
    site = session.get(Site, world.site_a.id)
    site.name, site.organisation = "Trust " + EVIL, EVIL
    session.add(site)
    session.commit()
    sign_in(client, world.lead)
    page = client.get(f"/sites/{world.site_a.id}/report").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 7
    words = text(page)
    assert f"Recruit two peer workers{EVIL}" in words and f"Trust {EVIL}" in words
    response = client.get(f"/sites/{world.site_a.id}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    name = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="imroc-report-[a-z0-9-]+-\d{4}-\d\d-\d\d\.pdf"',
                        name), name


def test_svg_escapes_every_label():
    chart = report_svg.bar_chart(
        'x" onload="alert(1)', EVIL, EVIL, [EVIL, "]]></svg><script>alert(2)</script>"],
        [(EVIL, [1, None]), ("Before & after", [2, 3])], maximum=3, ticks=[(0, EVIL)])
    assert "<script" not in chart and "onload=" not in chart.replace("onload-", "")
    root = ElementTree.fromstring(str(chart))  # well-formed: nothing broke out of a text node
    assert root.tag == f"{SVG}svg"
    assert [e.tag for e in root.iter() if "script" in e.tag] == []
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert EVIL in texts and "Before & after" in texts and "no level" in texts
    assert root.find(f"{SVG}title").text == EVIL
    assert re.fullmatch(r"[a-z0-9-]+-title [a-z0-9-]+-desc", root.get("aria-labelledby"))


def test_pdf_filename_is_plain_ascii():
    on = date(2026, 11, 26)
    assert pdf_filename("Riverside Recovery Service", "site-4", on) == \
        "imroc-report-riverside-recovery-service-2026-11-26.pdf"
    assert pdf_filename('"; rm -rf / ; ".pdf\r\n', "site-4", on) == \
        "imroc-report-rm-rf-pdf-2026-11-26.pdf"
    assert pdf_filename("Ŵêłŝĥ", "site-9", on) == "imroc-report-site-9-2026-11-26.pdf"


def test_pdf_engine_fetches_only_our_static_files(monkeypatch):
    connections: list = []

    def no_network(self, address):
        connections.append(address)
        raise OSError("the PDF engine must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = """<!DOCTYPE html><html lang="en"><head><title>t</title>
      <link rel="stylesheet" href="/static/css/print.css?v=1">
      <link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
      <link rel="stylesheet" href="/static/../pyproject.toml"></head>
      <body><h1>Report</h1><img src="https://example.org/track.png" alt="">
      <img src="file:///etc/passwd" alt=""><img src="//example.org/x.png" alt=""></body></html>"""
    fetcher = pdf.make_fetcher()
    body = pdf.html_to_pdf(html, fetcher=fetcher)
    assert body.startswith(b"%PDF-")
    assert fetcher.served == ["https://imroc.invalid/static/css/print.css?v=1"]
    assert set(fetcher.refused) == {
        "http://127.0.0.1:9/evil.css", "https://imroc.invalid/pyproject.toml",
        "https://example.org/track.png", "file:///etc/passwd", "https://example.org/x.png"}
    assert connections == []


@pytest.mark.parametrize("url", [
    "https://imroc.invalid/static/../../etc/passwd",
    "https://imroc.invalid/static/%2e%2e/%2e%2e/etc/passwd",
    "https://imroc.invalid/static/css/",
    "https://imroc.invalid/static/css/missing.css",
    "https://imroc.invalid.example.org/static/css/print.css",
    "http://imroc.invalid/static/css/print.css",
    "data:text/css,body{}",
])
def test_static_file_refuses_anything_outside_static(url):
    with pytest.raises(pdf.RefusedURL):
        pdf.static_file(url)


def test_site_page_and_dashboard_link_to_the_report(client, session):
    world = World(session)
    sign_in(client, world.member)
    for url in (f"/sites/{world.site_a.id}", f"/sites/{world.site_a.id}/dashboard"):
        page = client.get(url).text
        assert f'href="/sites/{world.site_a.id}/report"' in page, url
        assert "Print or download PDF" in page


def test_other_sites_reports_are_not_found(client, session):
    world = World(session)
    sign_in(client, world.member)
    for suffix in ("report", "report.pdf"):
        assert client.get(f"/sites/{world.site_b.id}/{suffix}").status_code == 404
    sign_in(client, world.other_facilitator)
    assert client.get(f"/sites/{world.site_a.id}/report.pdf").status_code == 404
    client.cookies.clear()
    response = client.get(f"/sites/{world.site_a.id}/report.pdf", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_without_the_pdf_libraries_the_pdf_route_says_so_plainly(client, session, monkeypatch):
    def missing():
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "_fetcher_class", missing)
    world = World(session)
    sign_in(client, world.member)
    response = client.get(f"/sites/{world.site_a.id}/report.pdf")
    assert response.status_code == 503
    assert "the Pango text libraries are missing" in text(response.text)
    assert client.get(f"/sites/{world.site_a.id}/report").status_code == 200


def test_printed_tables_never_leave_one_row_alone_on_a_page():
    """Pushed down the page step by step, a two-row table never splits with one row alone."""
    from weasyprint import CSS, HTML

    css = CSS(filename=str(pdf.STATIC_DIR / "css" / "print.css"))

    def pages_with(word: str, html: str) -> list[int]:
        found = []
        for i, page in enumerate(HTML(string=html).render(stylesheets=[css]).pages):
            stack = [page._page_box]
            while stack:
                box = stack.pop()
                if getattr(box, "text", None) and word in box.text:
                    found.append(i)
                stack.extend(getattr(box, "children", None) or [])
        return found

    for filler in range(28, 36):
        body = "".join(f"<p>Filler {i}</p>" for i in range(filler))
        html = (f"<html><body>{body}<table><thead><tr><th>Head</th></tr></thead><tbody>"
                "<tr><td>RowOne</td></tr><tr><td>RowTwo</td></tr></tbody></table></body></html>")
        assert pages_with("RowOne", html) == pages_with("RowTwo", html), filler
