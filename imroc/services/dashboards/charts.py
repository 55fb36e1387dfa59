"""Turning dashboard aggregates into charts, each with its table of the same numbers."""

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from imroc import charts
from imroc.charts_progress import progress_grid, quarter_label
from imroc.models.action import STATUS_LABELS
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.periods import start_of
from imroc.services.dashboards.aggregates import ProgrammeComparison, SetDashboard, SiteDashboard
from imroc.services.dashboards.progress import Progress


@dataclass(frozen=True)
class Chart:
    """One chart on a dashboard: its figure and the same numbers as a table."""

    name: str
    title: str
    figure: dict[str, Any]
    table: charts.Table
    summary: str = ""
    # The key above the chart: "levels" (the level colours), "means" (the means' own scale).
    key: str = ""
    scale: tuple[str, ...] = ()  # the levels' names, for the key

    @cached_property
    def json(self) -> Markup:
        """The figure as JSON safe inside a <script> block, serialised once per cache entry."""
        return htmlsafe_json_dumps(self.figure)


def _fmt(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(float(value), 2)


def site_charts(d: SiteDashboard, labels: list[str], scale: list[str] | None = None
                ) -> list[Chart]:
    """The charts of a site's dashboard. `labels` are the ten short titles, in order;
    `scale` the levels' names, lowest first."""
    scale = scale or []
    out: list[Chart] = []
    scored = d.signed_off
    if scored:
        picks = [(f"Cycle {scored[-1].number} (latest)", scored[-1])]
        if len(scored) > 1:
            picks.append((f"Cycle {scored[-2].number} (previous)", scored[-2]))
        if len(scored) > 2:
            picks.append((f"Cycle {scored[0].number} (first)", scored[0]))
        series = [(name, [d.levels[c.id].get(n) for n in CHALLENGE_NUMBERS]) for name, c in picks]
        out.append(Chart("radar", "Agreed levels on the ten challenges",
                         charts.radar(labels, series, title="Agreed levels on the ten challenges",
                                      level_names=scale),
                         charts.table("Agreed level per challenge", ["Challenge"] + [s[0] for s in series],
                                      [[labels[n - 1]] + [_fmt(s[1][n - 1]) for s in series]
                                       for n in CHALLENGE_NUMBERS])))
        columns = [f"Cycle {c.number}" for c in scored]
        z = [[d.levels[c.id].get(n) for c in scored] for n in CHALLENGE_NUMBERS]
        out.append(Chart("heatmap", "Agreed levels, cycle by cycle",
                         charts.heatmap(labels, columns, z, title="Agreed levels, cycle by cycle"),
                         charts.table("Agreed level per challenge and cycle", ["Challenge"] + columns,
                                      [[labels[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)]),
                         key="levels", scale=tuple(scale)))
        latest = d.levels[scored[-1].id]
        bench = [("This site", [latest.get(n) for n in CHALLENGE_NUMBERS]),
                 ("Learning set median", [d.set_median.get(n) for n in CHALLENGE_NUMBERS]),
                 ("Programme median", [d.programme_median.get(n) for n in CHALLENGE_NUMBERS])]
        out.append(Chart("benchmark", "This site against the medians of its learning set and the programme",
                         charts.bars(labels, bench, title="Compared with others (medians, no site named)",
                                     y_title="Agreed level", levels=scale),
                         charts.table("Latest agreed level and medians",
                                      ["Challenge"] + [b[0] for b in bench],
                                      [[labels[n - 1]] + [_fmt(b[1][n - 1]) for b in bench]
                                       for n in CHALLENGE_NUMBERS])))
        if d.facilitator:
            pair = [("Steering group (agreed)", [latest.get(n) for n in CHALLENGE_NUMBERS]),
                    ("Facilitator", [d.facilitator.get(n) for n in CHALLENGE_NUMBERS])]
            out.append(Chart("self-vs-facilitator", "Self-assessment and the facilitator's view",
                             charts.bars(labels, pair, title="Self-assessment and the facilitator's view",
                                         y_title="Level", levels=scale),
                             charts.table("Agreed level, facilitator's level and the gap",
                                          ["Challenge", "Agreed", "Facilitator", "Gap"],
                                          [[labels[n - 1], _fmt(latest.get(n)), _fmt(d.facilitator.get(n)),
                                            _fmt(None if latest.get(n) is None or d.facilitator.get(n) is None
                                                 else d.facilitator[n] - latest[n])]
                                           for n in CHALLENGE_NUMBERS])))
    counts = {s: 0 for s in STATUS_LABELS}
    for a in d.actions:
        counts[a.status] = counts.get(a.status, 0) + 1
    if d.actions:
        names = [STATUS_LABELS[s] for s in counts]
        out.append(Chart("actions", "Actions by status",
                         charts.bars(names, [("Actions", list(counts.values()))],
                                     title="Actions by status", y_title="Number of actions"),
                         charts.table("Actions by status", ["Status", "Actions"],
                                      [[n, c] for n, c in zip(names, counts.values(), strict=True)])))
    if d.voices:
        names = [PERSPECTIVE_LABELS.get(p, p) for p in PERSPECTIVE_LABELS]
        values = [d.voices.get(p.value, 0) for p in PERSPECTIVE_LABELS]
        out.append(Chart("voices", "Whose voices are in this cycle's ratings",
                         charts.bars(names, [("People who rated", values)],
                                     title="Whose voices are in this cycle's ratings",
                                     y_title="People"),
                         charts.table("People who rated, by perspective", ["Perspective", "People"],
                                      [[n, v] for n, v in zip(names, values, strict=True)])))
    return out


def set_charts(d: SetDashboard, labels: list[str], names: dict[int, str],
               scale: list[str] | None = None) -> list[Chart]:
    """The learning-set dashboard; `names` maps site id to the name to show (maybe anonymised)."""
    out: list[Chart] = []
    site_names = [names[s.id] for s in d.sites]
    z = [[d.latest.get(s.id, {}).get(n) for n in CHALLENGE_NUMBERS] for s in d.sites]
    out.append(Chart("sites", "The set's sites side by side (latest agreed levels)",
                     charts.heatmap(site_names, labels, z, title="Latest agreed levels by site"),
                     charts.table("Latest agreed level by site and challenge", ["Site"] + labels,
                                  [[site_names[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)]),
                     key="levels", scale=tuple(scale or [])))
    if d.progress.quarters:
        out.append(set_progress_chart(d.progress, d.learning_set.id, labels,
                                      [(m.held_on, m.title) for m in d.meetings]))
    ranked = sorted(CHALLENGE_NUMBERS, key=lambda n: (-d.priority_counts.get(n, 0), n))
    names_ranked = [labels[n - 1] for n in ranked]
    counts = [d.priority_counts.get(n, 0) for n in ranked]
    out.append(Chart("priorities", "Most chosen priorities",
                     charts.bars(names_ranked, [("Times chosen", counts)],
                                 title="Most chosen priorities", y_title="Times chosen",
                                 horizontal=True),
                     charts.table("Times each challenge was chosen as a priority, most first",
                                  ["Challenge", "Times chosen"],
                                  [[names_ranked[i], c] for i, c in enumerate(counts)])))
    statuses = list(STATUS_LABELS)
    series = [(STATUS_LABELS[s], [d.action_counts.get(site.id, {}).get(s, 0) for site in d.sites])
              for s in statuses]
    out.append(Chart("actions", "Action completion by site",
                     charts.bars(site_names, series, title="Action completion by site",
                                 y_title="Actions", stacked=True),
                     charts.table("Actions by site and status",
                                  ["Site"] + [STATUS_LABELS[s] for s in statuses],
                                  [[site_names[i]] + [s[1][i] for s in series]
                                   for i in range(len(d.sites))])))
    return out


def programme_charts(d: ProgrammeComparison, labels: list[str],
                     scale: list[str] | None = None) -> list[Chart]:
    """The programme team's comparison of every site."""
    out: list[Chart] = []
    names = [s.name for s in d.sites]
    z = [[d.latest.get(s.id, {}).get(n) for n in CHALLENGE_NUMBERS] for s in d.sites]
    out.append(Chart("sites", "Latest agreed level, site by challenge",
                     charts.heatmap(names, labels, z, title="Latest agreed level, site by challenge"),
                     charts.table("Latest agreed level by site and challenge", ["Site"] + labels,
                                  [[names[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)]),
                     key="levels", scale=tuple(scale or [])))
    levels = range(0, 4)
    dist = [(_level_name(lv, scale or []),
             [sum(1 for row in z if row[n] == lv) for n in range(10)]) for lv in levels]
    out.append(Chart("distribution", "How many sites are at each level, per challenge",
                     charts.bars(labels, dist, title="Sites at each level", y_title="Sites",
                                 stacked=True, by_level=True),
                     charts.table("Sites at each level per challenge", ["Challenge"] + [d_[0] for d_ in dist],
                                  [[labels[n]] + [d_[1][n] for d_ in dist] for n in range(10)])))
    if d.progress.quarters:
        out.append(sets_progress_chart(d.progress, d.set_names, labels))
    days = [("Allocated", [s.consultancy_days_allocated for s in d.sites]),
            ("Used", [float(s.consultancy_days_used or 0) for s in d.sites])]
    out.append(Chart("consultancy", "Consultancy days allocated and used",
                     charts.bars(names, days, title="Consultancy days", y_title="Days",
                                 horizontal=True),
                     charts.table("Consultancy days by site", ["Site", "Allocated", "Used"],
                                  [[names[i], days[0][1][i], days[1][1][i]] for i in range(len(names))])))
    return out


PROGRESS_KEY = "means"


def set_progress_chart(p: Progress, group: int | None, labels: list[str],
                       meetings: list[tuple[date, str]]) -> Chart:
    """A learning set's progress per challenge by calendar quarter, with n and meetings."""
    cells = [p.cells(group, n) for n in CHALLENGE_NUMBERS]
    quarters = [quarter_label(q) for q in p.quarters]
    held = {q: [f"{day.isoformat()} {title}" for day, title in meetings
                if start_of(day, "quarterly") == q] for q in p.quarters}
    title = "Progress per challenge, quarter by quarter (mean of the sites' agreed levels)"
    return Chart(
        "progress", title,
        progress_grid(labels, p.quarters, [[c.mean for c in row] for row in cells],
                      [[c.n for c in row] for row in cells], meetings, title=title),
        charts.table("Mean agreed level at the end of each quarter, per challenge, with the "
                     "number of sites behind it (n) and the set's meetings",
                     ["Challenge", "Quarter", "Sites with an agreed level (n)",
                      "Mean agreed level", "Learning-set meetings in the quarter"],
                     [[labels[i], quarters[j], c.n, _fmt(c.mean), "; ".join(held[q])]
                      for i, row in enumerate(cells)
                      for j, (q, c) in enumerate(zip(p.quarters, row, strict=True))]),
        key=PROGRESS_KEY)


def sets_progress_chart(p: Progress, set_names: dict[int, str], labels: list[str]) -> Chart:
    """Each learning set's progress by calendar quarter: the mean of its sites' agreed levels
    on all ten challenges, with the number of sites behind it."""
    groups = sorted(p.overall, key=lambda g: (g is None, set_names.get(g, "") if g else ""))
    names = [set_names.get(g, "Learning set") if g is not None else "No learning set"
             for g in groups]
    rows = [p.overall_of(g) for g in groups]
    quarters = [quarter_label(q) for q in p.quarters]
    title = "Progress compared across learning sets, quarter by quarter (mean agreed level)"
    return Chart(
        "sets", title,
        progress_grid(names, p.quarters, [[c.mean for c in row] for row in rows],
                      [[c.n for c in row] for row in rows], title=title),
        charts.table("Mean agreed level of each learning set's sites at the end of each "
                     "quarter, on all ten challenges and on each, with the number of sites (n)",
                     ["Learning set", "Quarter", "Sites with an agreed level (n)",
                      "Mean agreed level (all ten challenges)"]
                     + [f"{n}. {label}" for n, label in zip(CHALLENGE_NUMBERS, labels, strict=True)],
                     [[names[i], quarters[j], c.n, _fmt(c.mean)]
                      + [_fmt(p.cells(g, n)[j].mean) for n in CHALLENGE_NUMBERS]
                      for i, (g, row) in enumerate(zip(groups, rows, strict=True))
                      for j, c in enumerate(row)]),
        key=PROGRESS_KEY)


def _level_name(level: int, scale: list[str]) -> str:
    return f"{level} {scale[level]}" if level < len(scale) else f"Level {level}"
