"""A measure's values read as an SPC or run chart, with the site's PDSA cycles on it."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from imroc import clock, periods
from imroc.config import get_settings
from imroc.models import Action, Cycle, DataPoint, Measure, ReferencePoint, Site
from imroc.services.dashboards.charts import Chart
from imroc.services.measures import definitions as measures
from imroc.services.measures import reference as national
from imroc.spc import chart as spc_chart
from imroc.spc import icons as spc_icons
from imroc.spc.rules import Assurance, RunChartResult, Variation, XmRResult, run_chart, xmr
from imroc.spc.summary import summary_sentence


@dataclass(frozen=True)
class Analysis:
    """Everything a measure's page shows about one site's series."""

    measure: Measure
    points: list[DataPoint]
    labels: list[str]
    result: XmRResult | RunChartResult | None
    events: list[spc_chart.Event] = field(default_factory=list)
    reference: list[ReferencePoint] = field(default_factory=list)  # the national series

    @property
    def standing(self) -> national.Standing | None:
        """Where the latest value stands against the national one (survey measures)."""
        return national.standing(self.points, self.reference)

    @property
    def variation(self) -> Variation | None:
        return self.result.variation if self.result else None

    @property
    def side(self) -> str | None:
        """"high" or "low" for a special-cause latest value (the icon's H or L)."""
        if self.result is None:
            return None
        return spc_icons.side(self.result.points[-1], self.result.direction)

    @property
    def assurance(self) -> Assurance | None:
        """None for run charts and measures without a target: there is nothing to assure."""
        if not isinstance(self.result, XmRResult) or self.measure.target is None:
            return None
        if self.result.segments[-1].upper is None:
            return None
        return self.result.assurance

    @property
    def summary(self) -> str:
        if self.result is None:
            return "No values have been entered yet."
        text = summary_sentence(self.result, unit=self.measure.unit, labels=self.labels)
        if self.standing is not None:
            text += " " + national.standing_sentence(
                self.standing, frequency=self.measure.frequency, unit=self.measure.unit)
        return text

    @property
    def rules(self) -> tuple[tuple[str, str], ...]:
        return self.result.rules if self.result else ()

    def chart(self, name: str = "spc") -> Chart | None:
        if self.result is None:
            return None
        title = self.measure.name
        notes = [notes_for(p, [e.text for e in self.events if e.index == i])
                 for i, p in enumerate(self.points)]
        kind = "SPC chart" if isinstance(self.result, XmRResult) else "Run chart"
        figure = spc_chart.figure(self.labels, self.result, self.events, title=title,
                                  unit=self.measure.unit)
        table = spc_chart.data_table(self.labels, self.result, notes,
                                     caption=f"{title}: values, limits and signals")
        if self.reference:
            starts = [p.period_start for p in self.points]
            table = spc_chart.add_reference(figure, table, self.labels, starts, self.reference,
                                    [getattr(p, "band", None) for p in self.points])
        return Chart(name, f"{kind}: {title}", figure, table)


def notes_for(point: DataPoint, events: list[str]) -> str:
    parts = [*events]
    if point.annotation:
        parts.append(point.annotation)
    if point.rebase:
        parts.append("Limits recalculated from here")
    return "; ".join(parts)


def compute(measure: Measure, points: list[DataPoint]) -> XmRResult | RunChartResult | None:
    """The chart the measure asks for, with its baseline and rebases; None without values."""
    if not points:
        return None
    values = [p.value for p in points]
    direction = measure.direction  # type: ignore[arg-type]
    if measure.chart == "run":
        return run_chart(values, direction=direction)
    rebase_at = [i for i, p in enumerate(points) if p.rebase and i > 0]
    return xmr(values, direction=direction, target=measure.target,
               shift_length=get_settings().spc_shift_length, trend_length=7,
               baseline=measure.baseline_points, rebase_at=rebase_at)


def events(session: Session, *, site: Site, measure: Measure, challenges: list[int],
           first: date, last: date) -> list[tuple[date, str]]:
    """PDSA moments in the chart's span: cycles starting, and changes adopted or adapted
    (those under the measure's challenges, when it is linked to any)."""
    out: list[tuple[date, str]] = []
    cycles = session.exec(select(Cycle).where(Cycle.site_id == site.id)
                          .order_by(col(Cycle.number))).all()
    for cycle in cycles:
        out.append((cycle.started_on, f"Cycle {cycle.number} starts"))
    query = (select(Action, Cycle.number).join(Cycle, col(Cycle.id) == Action.cycle_id)
             .where(Cycle.site_id == site.id, col(Action.outcome).in_(("adopt", "adapt"))))
    if challenges:
        query = query.where(col(Action.challenge).in_(challenges))
    query = query.add_columns(Cycle.closed_at)
    for action, number, closed_at in session.exec(query.order_by(col(Action.id))).all():
        verb = "adopted" if action.outcome == "adopt" else "adapted"
        # When the outcome was decided; for history from before that was recorded, when its
        # cycle closed (an import), else its last change.
        decided = action.outcome_on or clock.uk_date_of(closed_at or action.updated_at)
        out.append((decided, f"Change {verb} (cycle {number}): {action.title}"))
    out.sort(key=lambda event: event[0])
    last_end = periods.following(last, measure.frequency)
    return [(d, text) for d, text in out if first <= d < last_end]


def analyse(session: Session, *, site: Site, measure: Measure, challenges: list[int],
            points: list[DataPoint] | None = None) -> Analysis:
    """One site's series of a measure, read as its chart, with the PDSA events placed on it."""
    if points is None:
        points = list(session.exec(select(DataPoint).where(
            DataPoint.measure_id == measure.id, DataPoint.site_id == site.id)
            .order_by(col(DataPoint.period_start))).all())
    labels = [periods.label(p.period_start, measure.frequency) for p in points]
    placed: list[spc_chart.Event] = []
    if points:
        starts = [p.period_start for p in points]
        for day, text in events(session, site=site, measure=measure, challenges=challenges,
                                first=starts[0], last=starts[-1]):
            period = periods.start_of(day, measure.frequency)
            index = max((i for i, s in enumerate(starts) if s <= period), default=0)
            placed.append(spc_chart.Event(index, text))
    reference = national.list_reference(session, measure=measure)
    return Analysis(measure, points, labels, compute(measure, points), placed, reference)


@dataclass(frozen=True)
class Cell:
    """One site's latest position on one measure, for the programme summary table."""

    latest: float | None
    period: date | None
    variation: Variation | None
    assurance: Assurance | None
    side: str | None = None  # "high" or "low" for special cause: the icon's H or L


def summary(session: Session, *, sites: list[Site], measures: list[Measure]) -> dict[
        tuple[int, int], Cell]:
    """Each (site id, measure id): the latest value and both icons (one query in all)."""
    out: dict[tuple[int, int], Cell] = {}
    if not sites or not measures:
        return out
    # Plain rows, not ORM objects: for a whole programme, building objects costs more than
    # the SPC arithmetic. Rows read like points (period_start, value, rebase).
    grouped: dict[tuple[int, int], list] = {}
    for point in session.exec(select(
            DataPoint.site_id, DataPoint.measure_id, DataPoint.period_start, DataPoint.value,
            DataPoint.rebase).where(
            col(DataPoint.site_id).in_([s.id for s in sites]),
            col(DataPoint.measure_id).in_([m.id for m in measures]))
            .order_by(col(DataPoint.period_start))).all():
        grouped.setdefault((point.site_id, point.measure_id), []).append(point)
    for site in sites:
        for measure in measures:
            points = grouped.get((site.id, measure.id), [])
            analysis = Analysis(measure, points, [], compute(measure, points))
            out[(site.id, measure.id)] = Cell(
                points[-1].value if points else None,
                points[-1].period_start if points else None,
                analysis.variation, analysis.assurance, analysis.side)
    return out


def for_challenges(session: Session, *, site: Site, challenges: list[int]) -> list[Analysis]:
    """The charts of the site's measures linked to any of these challenges (a cycle's
    priorities), each with its PDSA events."""
    if not challenges:
        return []
    rows = measures.site_measures(session, site=site)
    links = measures.challenges_of(session, [m.id for m in rows])
    return [analyse(session, site=site, measure=m, challenges=links[m.id])
            for m in rows if set(links[m.id]) & set(challenges)]
