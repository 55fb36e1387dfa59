"""The printable site report: what a board or a learning set wants to read about one site.

Gathered from the services the dashboards and the consensus pages already use; nothing here
writes. The same data feeds the HTML report and its PDF.
"""

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import Session, col, select

from imroc import clock, report_svg
from imroc.models import Action, Cycle, Feedback, LearningSet, Priority, Rating, Site
from imroc.models.action import STATUS_LABELS
from imroc.models.cycle import PDSA_FIELDS
from imroc.models.user import Perspective
from imroc.services import (
    access,
    actions,
    consensus,
    feedback,
    frameworks,
    sites,
)
from imroc.services import objectives as objective_rule
from imroc.services.access import Principal
from imroc.services.dashboards import aggregates as dashboards
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measure_defs
from imroc.services.measures import reference as national
from imroc.services.objectives import Summary
from imroc.spc import chart as spc_chart
from imroc.spc.rules import XmRResult

# One heading per PDSA field (models/cycle.py PDSA_FIELDS), in the record's order.
PDSA_HEADINGS = {
    "aim": "Aim", "prediction": "Prediction", "measures": "Measures",
    "plan_notes": "Plan: who, what, when, where", "do_notes": "Do: what happened",
    "study_notes": "Study: result against the prediction",
    "act_notes": "Act: decision and next steps",
}


@dataclass
class ChallengeLine:
    """One challenge in the latest signed-off consensus, with its change since the cycle before."""

    number: int
    title: str
    level: int | None
    level_name: str
    previous: int | None
    change: str | None  # "up", "down", "unchanged", "carried over" or None (no earlier cycle)
    rationale: str
    facilitator: float | None


@dataclass
class SiteReport:
    site: Site
    kind_label: str
    learning_set: LearningSet | None
    framework: dict
    cycles: list[Cycle]
    latest: Cycle | None  # the latest cycle with a signed-off consensus
    previous: Cycle | None  # the signed-off cycle before it
    challenges: list[ChallengeLine]
    # cycle id -> perspective -> distinct people who rated in that cycle
    voices: dict[int, dict[str, int]]
    current: Cycle | None  # the cycle being worked (or the last one)
    priorities: list[Priority]
    actions: list[Action]
    overdue: list[Action]
    feedback: list[tuple[Feedback, str]] | None  # None: the reader may not see it
    survey: list[national.SiteSurvey] = field(default_factory=list)
    today: date = field(default_factory=clock.today)
    # Objectives reached: the counts by challenge, and each cycle's priorities with outcomes
    objectives: Summary = field(default_factory=Summary)
    by_cycle: dict[int, list] = field(default_factory=dict)
    # The site's measures linked to a priority of any reported cycle, each read as its chart.
    measures: list[measure_charts.Analysis] = field(default_factory=list)
    progress_scores: dict[int, dict[str, float]] = field(default_factory=dict)  # by cycle id

    @property
    def status_counts(self) -> dict[str, int]:
        """Actions of the plan being worked, by status, every status listed."""
        return actions.status_counts(self.actions)

    @property
    def pdsa(self) -> list[tuple[str, str]]:
        """The current cycle's PDSA record, heading and text, for the parts written so far."""
        if self.current is None:
            return []
        return [(PDSA_HEADINGS[name], getattr(self.current, name))
                for name in PDSA_FIELDS if getattr(self.current, name).strip()]

    @property
    def perspectives(self) -> list[str]:
        return [p.value for p in Perspective]

    @property
    def no_lived_experience(self) -> bool:
        """The latest assessment has no rating from anyone with lived experience."""
        if self.latest is None:
            return False
        return not self.voices.get(self.latest.id, {}).get(Perspective.lived_experience.value)


def _voices(session: Session, cycle_ids: list[int]) -> dict[int, dict[str, int]]:
    """Distinct people who rated, per cycle and perspective (one query)."""
    out: dict[int, dict[str, int]] = {cid: {} for cid in cycle_ids}
    for cycle_id, perspective, people in session.exec(
            select(Rating.cycle_id, Rating.perspective, func.count(func.distinct(Rating.rater_id)))
            .where(col(Rating.cycle_id).in_(cycle_ids or [-1]))
            .group_by(Rating.cycle_id, Rating.perspective)):
        out[cycle_id][perspective] = people
    return out


def _linked_measures(session: Session, *, site: Site, cycles: list[Cycle]
                     ) -> list[measure_charts.Analysis]:
    """The measures linked to the challenges the site made priorities in the reported cycles."""
    challenges = sorted(set(session.exec(select(Priority.challenge).where(
        col(Priority.cycle_id).in_([c.id for c in cycles] or [-1]))).all()))
    return measure_charts.for_challenges(session, site=site, challenges=challenges)


def site_report(session: Session, *, site: Site, principal: Principal,
                today: date | None = None) -> SiteReport:
    """Everything the printable report shows for a site the reader may see."""
    access.ensure_site_report(principal, site)
    today = today or clock.today()
    board = dashboards.site_dashboard(session, site=site)
    framework = frameworks.document(session, frameworks.current(session))
    scale = {s["level"]: s["name"] for s in framework["scale"]}
    scored = board.signed_off
    latest = scored[-1] if scored else None
    previous = scored[-2] if len(scored) > 1 else None
    challenges: list[ChallengeLine] = []
    if latest is not None:
        view = consensus.consensus_view(session, cycle=latest)
        changes = consensus.history(session, site=site)[1].get(latest.id, {})
        for spread, info in zip(view.challenges, framework["challenges"], strict=True):
            agreed = spread.agreed
            level = agreed.level if agreed else None
            challenges.append(ChallengeLine(
                number=spread.challenge, title=info["short_title"], level=level,
                level_name=scale.get(level, "") if level is not None else "",
                previous=board.levels.get(previous.id, {}).get(spread.challenge)
                if previous else None,
                change=changes.get(spread.challenge, {}).get("change") if previous else None,
                rationale=agreed.rationale if agreed else "",
                facilitator=spread.facilitator_middle))
    learning_set = session.get(LearningSet, site.learning_set_id) \
        if site.learning_set_id else None
    kind = next((k for k in sites.list_kinds(session) if k.code == site.kind), None)
    notes = None
    if board.current is not None and access.can_read_feedback(principal, site):
        notes = feedback.list_feedback_with_authors(session, cycle=board.current)
    return SiteReport(
        site=site, kind_label=kind.label if kind else site.kind, learning_set=learning_set,
        framework=framework, cycles=board.cycles, latest=latest, previous=previous,
        challenges=challenges, voices=_voices(session, [c.id for c in board.cycles]),
        current=board.current, priorities=board.priorities, actions=board.actions,
        overdue=board.overdue(today), feedback=notes, today=today,
        objectives=objective_rule.summary(session, site_ids=[site.id]),
        by_cycle=objective_rule.by_cycle(session, [c.id for c in board.cycles]),
        measures=_linked_measures(session, site=site, cycles=board.cycles),
        survey=national.site_survey(session, site=site,
                                    measures=measure_defs.site_measures(session, site=site)),
        progress_scores=board.progress_scores)


def charts(report: SiteReport) -> dict[str, Markup]:
    """The report's static charts (inline SVG); the template puts each beside its table."""
    out: dict[str, Markup] = {}
    if report.latest is not None:
        lines = report.challenges
        scale = [(s["level"], s["name"]) for s in report.framework["scale"]]
        latest = (f"Cycle {report.latest.number}", [c.level for c in lines])
        previous = (f"Cycle {report.previous.number}", [c.previous for c in lines]) \
            if report.previous else None
        out["levels"] = report_svg.level_chart([c.title for c in lines], latest, previous, scale)
    for a in report.measures:
        if a.result is not None:
            out[f"measure-{a.measure.id}"] = _measure_chart(a)
    if report.actions:
        out["actions"] = report_svg.status_chart(
            [(STATUS_LABELS[s], n) for s, n in report.status_counts.items()])
    return out


def _measure_chart(a: measure_charts.Analysis) -> Markup:
    kind = "SPC chart" if isinstance(a.result, XmRResult) else "Run chart"
    unit = f" ({a.measure.unit})" if a.measure.unit else ""
    description = (f"{kind} of {a.measure.name}{unit}: {len(a.points)} values from "
                   f"{a.labels[0]} to {a.labels[-1]}, coloured by variation. "
                   "The summary that follows says what it shows.")
    names = spc_chart.period_names(a.labels, a.result) if isinstance(a.result, XmRResult) else []
    return report_svg.spc_chart(f"chart-measure-{a.measure.id}", f"{kind}: {a.measure.name}",
                                description, a.labels, a.result, target=a.measure.target,
                                period_names=names)
