"""The printable learning-set report: the set's sites side by side, for a meeting or a board.

Built from the learning-set dashboard's aggregates; site names are anonymised exactly as the
dashboard anonymises them (Site A, Site B...) when the reader asks for it.
"""

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlmodel import Session, col, select

from imroc import clock, report_svg
from imroc.charts_progress import mean_cell, quarter_label
from imroc.models import LearningSet, LearningSetFacilitator, Meeting, Site, User
from imroc.models.action import STATUS_LABELS
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.periods import start_of
from imroc.services import access, frameworks
from imroc.services import anonymise as anonymise_rule
from imroc.services import objectives as objective_rule
from imroc.services.access import Principal
from imroc.services.dashboards import aggregates as dashboards
from imroc.services.dashboards.progress import Progress
from imroc.services.objectives import Summary


@dataclass
class SetReport:
    learning_set: LearningSet
    anonymised: bool
    facilitators: list[str]
    sites: list[Site]
    names: dict[int, str]  # site id -> the name to print (maybe anonymised)
    titles: list[str]  # the ten short titles
    latest: dict[int, dict[int, int]]  # site id -> challenge -> latest agreed level
    progress: Progress  # the mean agreed level at the end of each quarter, with n
    scale: list[str]  # the levels' names, lowest first
    priority_counts: dict[int, int]
    action_counts: dict[int, dict[str, int]]
    meetings: list[Meeting]
    today: date
    objectives: Summary = field(default_factory=Summary)  # priorities that reached their target
    progress_scores: dict = field(default_factory=dict)  # site id -> latest progress scores

    @property
    def quarters(self) -> list[tuple[str, list[Meeting]]]:
        """Each calendar quarter, named, with the set's meetings held in it."""
        return [(quarter_label(q), [m for m in self.meetings
                                    if start_of(m.held_on, "quarterly") == q])
                for q in self.progress.quarters]

    def progress_cells(self, challenge: int) -> list[str]:
        """A challenge's row of the progress table: "1.67 (n=3)" per quarter."""
        return [mean_cell(c.mean, c.n)
                for c in self.progress.cells(self.learning_set.id, challenge)]

    def mean_latest(self, challenge: int) -> float | None:
        """The mean of the sites' latest agreed levels on one challenge."""
        values = [by[challenge] for by in self.latest.values() if challenge in by]
        return round(sum(values) / len(values), 2) if values else None

    @property
    def priorities_ranked(self) -> list[tuple[int, int]]:
        """(challenge, times chosen), most chosen first; challenges never chosen left out."""
        return sorted(((n, c) for n, c in self.priority_counts.items() if c),
                      key=lambda item: (-item[1], item[0]))

    @staticmethod
    def cell(value: float | None) -> str:
        """A mean as printed: 2 rather than 2.0, at most two decimals, blank when none."""
        if value is None:
            return ""
        return str(int(value)) if float(value).is_integer() else str(round(float(value), 2))

    def actions_of(self, site: Site) -> list[int]:
        counts = self.action_counts.get(site.id, {})
        return [counts.get(s, 0) for s in STATUS_LABELS]


def set_report(session: Session, *, ls: LearningSet, principal: Principal,
               anonymise: bool = False, today: date | None = None) -> SetReport:
    """Everything the learning-set report shows, its sites named (or lettered) by the same
    rule as the learning set's dashboard."""
    access.ensure_learning_set_report(principal, ls)
    board = dashboards.learning_set_dashboard(session, ls=ls)
    names = anonymise_rule.site_names(board.sites, anonymise, ls.letter_seed)
    board.sites = anonymise_rule.in_name_order(board.sites, names)
    facilitators = list(session.exec(
        select(User.name).join(LearningSetFacilitator,
                               col(LearningSetFacilitator.user_id) == User.id)
        .where(LearningSetFacilitator.learning_set_id == ls.id).order_by(col(User.name))).all())
    return SetReport(
        learning_set=ls, anonymised=anonymise, facilitators=facilitators, sites=board.sites,
        names=names, titles=frameworks.short_titles(session), latest=board.latest,
        progress=board.progress, scale=frameworks.scale_names(session),
        priority_counts=board.priority_counts,
        action_counts=board.action_counts, meetings=board.meetings,
        today=today or clock.today(),
        objectives=objective_rule.summary(session, site_ids=[s.id for s in board.sites],
                                          learning_set_id=ls.id),
        progress_scores=board.progress_scores)


def charts(report: SetReport) -> dict[str, Markup]:
    """The report's static charts (inline SVG); the template puts each beside its table."""
    out: dict[str, Markup] = {}
    if report.latest:
        out["levels"] = report_svg.bar_chart(
            "chart-set-levels", "Mean latest agreed level per challenge",
            "Bar chart of the mean of the sites' latest agreed levels (0 to 3) on each "
            "challenge. The same numbers are in the table that follows.",
            report.titles, [("Mean level", [report.mean_latest(n) for n in CHALLENGE_NUMBERS])],
            maximum=3, ticks=[(lv, f"{lv} {report.scale[lv]}" if lv < len(report.scale)
                              else str(lv)) for lv in range(4)], colour=report_svg.MEAN)
    ranked = report.priorities_ranked
    if ranked:
        top = ranked[0][1]
        step = max(1, -(-top // 5))
        out["priorities"] = report_svg.bar_chart(
            "chart-set-priorities", "Most chosen priorities",
            "Bar chart of how many times each challenge was chosen as a priority, most "
            "first. The same numbers are in the table that follows.",
            [report.titles[n - 1] for n, _ in ranked], [("Times chosen", [c for _, c in ranked])],
            maximum=top, ticks=[(v, str(v)) for v in range(0, top + 1, step)])
    return out
