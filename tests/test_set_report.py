"""The printable learning-set report: values for a known set, anonymised as the dashboard is,
the PDF, escaping and access."""

import re
from datetime import UTC, date, datetime

from sqlmodel import select

from imroc import clock
from imroc.models import Action, ConsensusScore, Cycle, Meeting, Priority, Site
from imroc.routes import reports as report_routes
from imroc.services import frameworks
from tests.factories import World, make_learning_set, sign_in
from tests.pages import text

EVIL = '<script>alert("x")</script>'
ALPHA = {1: [0, 1, 1, 2, 1, 0, 2, 1, 1, 1], 2: [1, 1, 2, 2, 1, 0, 3, 1, 1, 1]}
BETA = {1: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]}


def _site(session, name: str, ls, levels: dict[int, list[int]], priorities: list[int],
          statuses: list[str]) -> Site:
    """A site with signed-off cycles (levels per cycle number), priorities and actions made
    directly, in its last cycle."""
    fw = frameworks.current(session)
    site = Site(name=name, kind="pilot", learning_set_id=ls.id, region="North")
    session.add(site)
    session.commit()
    for number, row in levels.items():
        cycle = Cycle(site_id=site.id, number=number, framework_id=fw.id, stage="closed",
                      started_on=date(2024, number, 1),
                      signed_off_at=datetime(2024, 4 * number - 3, 20, 12, tzinfo=UTC),
                      learning_set_id=site.learning_set_id)
        session.add(cycle)
        session.commit()
        session.add_all([ConsensusScore(cycle_id=cycle.id, challenge=n, level=lv)
                         for n, lv in enumerate(row, start=1)])
    session.add_all([Priority(cycle_id=cycle.id, challenge=c, rank=i, current_level=0,
                              target_level=2) for i, c in enumerate(priorities, start=1)])
    session.add_all([Action(cycle_id=cycle.id, challenge=1, title=f"Step {i}", status=s)
                     for i, s in enumerate(statuses)])
    session.commit()
    return site


def known_set(session, world: World, beta_name: str = "Beta Trust"):
    ls = make_learning_set(session, name="North Set", facilitators=(world.facilitator,))
    _site(session, "Alpha Trust", ls, ALPHA, [1, 4], ["done", "done", "in_progress"])
    _site(session, beta_name, ls, BETA, [1, 7], ["blocked"])
    session.add(Meeting(learning_set_id=ls.id, held_on=date(2024, 3, 14), title="Spring meeting"))
    session.commit()
    return ls


def test_learning_set_report_shows_the_sites_side_by_side(client, session):
    world = World(session)
    ls = known_set(session, world)
    titles = frameworks.short_titles(session)
    sign_in(client, world.facilitator)
    page = client.get(f"/learning-sets/{ls.id}/report")
    assert page.status_code == 200, page.text
    words = text(page.text)
    assert "ImROC learning-set report North Set" in words
    assert "Facilitators Fay Facilitator" in words and "Sites 2" in words
    assert "Meetings 1, the last on 14 March 2024" in words
    assert "Alpha Trust 1 1 2 2 1 0 3 1 1 1" in words  # its latest cycle, 2
    assert "Beta Trust 2 2 2 2 2 2 2 2 2 2" in words
    # By quarter: both sites' cycle 1 (signed off in January), then Alpha's cycle 2 (May)
    # beside Beta's cycle 1 carried forward, each with its n; then the mean of the latest.
    assert "Challenge Jan–Mar 2024 Meeting 14 March 2024 Apr–Jun 2024 Latest" in words
    assert f"1. {titles[0]} 1 (n=2) 1.5 (n=2) 1.5" in words
    assert f"7. {titles[6]} 2 (n=2) 2.5 (n=2) 2.5" in words
    assert f"1. {titles[0]} 2 4. {titles[3]} 1 7. {titles[6]} 1" in words
    assert "Alpha Trust 0 1 2 0 0" in words and "Beta Trust 0 0 0 1 0" in words
    assert "14 March 2024 Spring meeting" in words
    assert f'href="/learning-sets/{ls.id}/report.pdf"' in page.text
    assert 'aria-labelledby="chart-set-levels-title chart-set-levels-desc"' in page.text
    # Means are drawn in a colour of their own, on an axis of whole, named levels.
    assert "3 Transformation</text>" in page.text and 'fill="#7c2855"' in page.text


def test_anonymised_report_and_pdf_name_no_site(client, session, monkeypatch):
    world = World(session)
    ls = known_set(session, world)
    sign_in(client, world.programme)
    page = client.get(f"/learning-sets/{ls.id}/report?anonymise=true").text
    assert "Alpha Trust" not in page and "Beta Trust" not in page
    words = text(page)
    from imroc.models import Site
    from imroc.services.anonymise import site_names

    sites = session.exec(select(Site).where(Site.learning_set_id == ls.id)).all()
    names = site_names(sites, True, ls.letter_seed)
    by_name = {s.name: names[s.id] for s in sites}
    assert f"{by_name['Alpha Trust']} 1 1 2 2 1 0 3 1 1 1" in words
    assert f"{by_name['Beta Trust']} 2 2 2 2 2 2 2 2 2 2" in words
    assert f'href="/learning-sets/{ls.id}/report.pdf?anonymise=true"' in page
    rendered: list[str] = []
    real = report_routes.pdf.html_to_pdf

    def capture(html: str, **kwargs) -> bytes:
        rendered.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(report_routes.pdf, "html_to_pdf", capture)
    response = client.get(f"/learning-sets/{ls.id}/report.pdf?anonymise=true")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="imroc-report-north-set-{clock.today().isoformat()}.pdf"')
    assert "Alpha Trust" not in rendered[0] and "Beta Trust" not in rendered[0]
    assert f"{by_name['Alpha Trust']} 1 1 2 2 1 0 3 1 1 1" in text(rendered[0])
    named = client.get(f"/learning-sets/{ls.id}/report.pdf")
    assert named.status_code == 200 and "Alpha Trust" in text(rendered[1])


def test_hostile_site_name_is_escaped_in_the_set_report(client, session):
    world = World(session)
    ls = known_set(session, world, beta_name="Beta " + EVIL)
    sign_in(client, world.facilitator)
    page = client.get(f"/learning-sets/{ls.id}/report").text
    assert "<script>alert" not in page
    assert "Beta &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert client.get(f"/learning-sets/{ls.id}/report.pdf").content.startswith(b"%PDF-")


def test_an_empty_learning_set_has_a_report(client, session):
    world = World(session)
    ls = make_learning_set(session, name="Empty Set", facilitators=(world.facilitator,))
    sign_in(client, world.facilitator)
    words = text(client.get(f"/learning-sets/{ls.id}/report").text)
    assert "This learning set has no sites." in words
    assert "No priorities have been chosen yet." in words
    assert "No meetings have been recorded yet." in words
    assert "chart-set-" not in client.get(f"/learning-sets/{ls.id}/report").text


def test_only_the_sets_facilitators_and_the_programme_see_its_report(client, session):
    world = World(session)
    ls = known_set(session, world)
    for user in (world.member, world.lead, world.other_facilitator):
        sign_in(client, user)
        for suffix in ("report", "report.pdf"):
            assert client.get(f"/learning-sets/{ls.id}/{suffix}").status_code == 404
    sign_in(client, world.facilitator)
    dashboard = client.get(f"/learning-sets/{ls.id}/dashboard?anonymise=true").text
    assert re.search(rf'href="/learning-sets/{ls.id}/report\?anonymise=true"', dashboard)
