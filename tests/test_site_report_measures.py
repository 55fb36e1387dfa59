"""The board report shows the data: for each measure linked to a priority of the reported
cycles, its SPC chart drawn on the server as SVG, both icons and the summary sentence, in the
page and in the PDF."""

import re
from datetime import date
from xml.etree import ElementTree

from imroc.models.measure import MeasureIn, PointIn
from imroc.services.access import load_principal
from imroc.services.measures import definitions as measures
from imroc.services.measures import values as measure_data
from tests.factories import sign_in
from tests.test_site_report import SVG, _pdf_objects, build_site

# Seclusion-like hours: about 75 for a year, then about 50 once a new practice began.
HOURS = [74, 78, 71, 77, 73, 76, 75, 72, 79, 74, 76, 73, 52, 49, 51, 48, 53, 50, 47, 52, 50, 49]
MONTHS = [date(2024 + m // 12, m % 12 + 1, 1) for m in range(len(HOURS))]


def _measures(session, world):
    lead = load_principal(session, world.lead)
    linked = measures.create_measure(session, principal=lead, data=MeasureIn(
        site_id=world.site_a.id, name="Seclusion hours", kind="count", direction="down",
        unit="hours", starts_on=MONTHS[0], challenges=[1], target=60))
    measure_data.save_points(session, site=world.site_a, measure=linked, principal=lead, points=[
        PointIn(period=m, value=v, rebase=m == MONTHS[12]) for m, v in zip(MONTHS, HOURS,
                                                                            strict=True)])
    other = measures.create_measure(session, principal=lead, data=MeasureIn(
        site_id=world.site_a.id, name="Carers' groups held", kind="count", direction="up",
        starts_on=MONTHS[0], challenges=[9]))
    measure_data.save_points(session, site=world.site_a, measure=other, principal=lead,
                             points=[PointIn(period=MONTHS[0], value=3)])
    return linked


def test_report_page_has_a_chart_icons_and_sentence_per_linked_measure(client, session):
    world, _ = build_site(client, session)
    linked = _measures(session, world)
    sign_in(client, world.lead)
    page = client.get(f"/sites/{world.site_a.id}/report").text
    section = page[page.index('id="report-measures"'):page.index('id="report-pdsa"')]
    assert "<h3>Seclusion hours</h3>" in section
    assert "Carers" not in section  # linked to challenge 9, which no cycle made a priority
    svg_text = re.search(rf'<svg[^>]*aria-labelledby="chart-measure-{linked.id}-title.*?</svg>',
                         section, re.S).group(0)
    chart = ElementTree.fromstring(svg_text)
    assert chart.get("role") == "img"
    assert chart.find(f"{SVG}title").text == "SPC chart: Seclusion hours"
    assert "22 values from Jan 2024 to Oct 2025" in chart.find(f"{SVG}desc").text
    texts = [t.text for t in chart.iter(f"{SVG}text")]
    assert "Before Jan 2025" in texts and "From Jan 2025" in texts
    # One marker per value.
    assert len(chart.findall(f"{SVG}circle")) + len(chart.findall(f"{SVG}rect")) \
        + len(chart.findall(f"{SVG}polygon")) == len(HOURS)
    assert 'aria-label="Common cause variation"' in section
    assert 'aria-label="The target will consistently be met"' in section
    assert re.search(r'>P</text>', section)
    assert ("After limits were recalculated from Jan 2025 the mean fell from 74.83 hours to "
            "50.1 hours; against the earlier limits, the new values show a special cause of "
            "improvement") in section


def test_report_says_when_no_measure_is_linked(client, session):
    world, _ = build_site(client, session)
    sign_in(client, world.lead)
    page = client.get(f"/sites/{world.site_a.id}/report").text
    assert "No measure is linked to the challenges chosen as priorities yet." in page


def test_pdf_report_carries_the_measures(client, session):
    world, _ = build_site(client, session)
    _measures(session, world)
    sign_in(client, world.lead)
    response = client.get(f"/sites/{world.site_a.id}/report.pdf")
    assert response.status_code == 200
    objects = _pdf_objects(response.content)
    outline = [re.sub(rb"\\(.)", rb"\1", t)
               for t in re.findall(rb"/Title \(((?:\\.|[^\\)])*)\)", objects)]
    assert b"Measures for the priorities" in outline and b"Seclusion hours" in outline
