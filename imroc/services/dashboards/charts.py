"""Turning dashboard aggregates into charts, each with its table of the same numbers."""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from imroc import charts
from imroc.models.action import STATUS_LABELS
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.services.dashboards.aggregates import ProgrammeComparison, SetDashboard, SiteDashboard


@dataclass(frozen=True)
class Chart:
    """One chart on a dashboard: its figure and the same numbers as a table."""

    name: str
    title: str
    figure: dict[str, Any]
    table: charts.Table
    summary: str = ""

    @cached_property
    def json(self) -> Markup:
        """The figure as JSON safe inside a <script> block, serialised once per cache entry."""
        return htmlsafe_json_dumps(self.figure)


def _fmt(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(float(value), 2)


def site_charts(d: SiteDashboard, labels: list[str]) -> list[Chart]:
    """The charts of a site's dashboard. `labels` are the ten short titles, in order."""
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
                         charts.radar(labels, series, title="Agreed levels on the ten challenges"),
                         charts.table("Agreed level per challenge", ["Challenge"] + [s[0] for s in series],
                                      [[labels[n - 1]] + [_fmt(s[1][n - 1]) for s in series]
                                       for n in CHALLENGE_NUMBERS])))
        columns = [f"Cycle {c.number}" for c in scored]
        z = [[d.levels[c.id].get(n) for c in scored] for n in CHALLENGE_NUMBERS]
        out.append(Chart("heatmap", "Agreed levels, cycle by cycle",
                         charts.heatmap(labels, columns, z, title="Agreed levels, cycle by cycle"),
                         charts.table("Agreed level per challenge and cycle", ["Challenge"] + columns,
                                      [[labels[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)])))
        latest = d.levels[scored[-1].id]
        bench = [("This site", [latest.get(n) for n in CHALLENGE_NUMBERS]),
                 ("Learning set median", [d.set_median.get(n) for n in CHALLENGE_NUMBERS]),
                 ("Programme median", [d.programme_median.get(n) for n in CHALLENGE_NUMBERS])]
        out.append(Chart("benchmark", "This site against the medians of its learning set and the programme",
                         charts.bars(labels, bench, title="Compared with others (medians, no site named)",
                                     y_title="Agreed level", value_range=(0, 3)),
                         charts.table("Latest agreed level and medians",
                                      ["Challenge"] + [b[0] for b in bench],
                                      [[labels[n - 1]] + [_fmt(b[1][n - 1]) for b in bench]
                                       for n in CHALLENGE_NUMBERS])))
        if d.facilitator:
            pair = [("Steering group (agreed)", [latest.get(n) for n in CHALLENGE_NUMBERS]),
                    ("Facilitator", [d.facilitator.get(n) for n in CHALLENGE_NUMBERS])]
            out.append(Chart("self-vs-facilitator", "Self-assessment and the facilitator's view",
                             charts.bars(labels, pair, title="Self-assessment and the facilitator's view",
                                         y_title="Level", value_range=(0, 3)),
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


def set_charts(d: SetDashboard, labels: list[str], names: dict[int, str]) -> list[Chart]:
    """The learning-set dashboard; `names` maps site id to the name to show (maybe anonymised)."""
    out: list[Chart] = []
    site_names = [names[s.id] for s in d.sites]
    z = [[d.latest.get(s.id, {}).get(n) for n in CHALLENGE_NUMBERS] for s in d.sites]
    out.append(Chart("sites", "The set's sites side by side (latest agreed levels)",
                     charts.heatmap(site_names, labels, z, title="Latest agreed levels by site"),
                     charts.table("Latest agreed level by site and challenge", ["Site"] + labels,
                                  [[site_names[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)])))
    rounds = sorted(d.by_round)
    if rounds:
        cols = [f"Cycle {r}" for r in rounds]
        zr = [[d.by_round[r].get(n) for r in rounds] for n in CHALLENGE_NUMBERS]
        out.append(Chart("progress", "Progress per challenge across cycles (mean of the set's sites)",
                         charts.heatmap(labels, cols, zr, title="Mean agreed level per cycle"),
                         charts.table("Mean agreed level per challenge and cycle", ["Challenge"] + cols,
                                      [[labels[i]] + [_fmt(v) for v in row] for i, row in enumerate(zr)])))
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


def programme_charts(d: ProgrammeComparison, labels: list[str]) -> list[Chart]:
    """The programme team's comparison of every site."""
    out: list[Chart] = []
    names = [s.name for s in d.sites]
    z = [[d.latest.get(s.id, {}).get(n) for n in CHALLENGE_NUMBERS] for s in d.sites]
    out.append(Chart("sites", "Latest agreed level, site by challenge",
                     charts.heatmap(names, labels, z, title="Latest agreed level, site by challenge"),
                     charts.table("Latest agreed level by site and challenge", ["Site"] + labels,
                                  [[names[i]] + [_fmt(v) for v in row] for i, row in enumerate(z)])))
    levels = range(0, 4)
    dist = [(f"Level {lv}", [sum(1 for row in z if row[n] == lv) for n in range(10)]) for lv in levels]
    out.append(Chart("distribution", "How many sites are at each level, per challenge",
                     charts.bars(labels, dist, title="Sites at each level", y_title="Sites",
                                 stacked=True),
                     charts.table("Sites at each level per challenge", ["Challenge"] + [d_[0] for d_ in dist],
                                  [[labels[n]] + [d_[1][n] for d_ in dist] for n in range(10)])))
    by_set: dict[str, list[list[int | None]]] = {}
    for s, row in zip(d.sites, z, strict=True):
        by_set.setdefault(d.set_names.get(s.learning_set_id, "No learning set"), []).append(row)
    set_names = sorted(by_set)
    zs = [[_mean([r[n] for r in by_set[name]]) for n in range(10)] for name in set_names]
    out.append(Chart("sets", "Progress compared across learning sets (mean latest level)",
                     charts.heatmap(set_names, labels, zs, title="Mean latest level by learning set"),
                     charts.table("Mean latest agreed level by learning set", ["Learning set"] + labels,
                                  [[set_names[i]] + [_fmt(v) for v in row] for i, row in enumerate(zs)])))
    days = [("Allocated", [s.consultancy_days_allocated for s in d.sites]),
            ("Used", [float(s.consultancy_days_used) for s in d.sites])]
    out.append(Chart("consultancy", "Consultancy days allocated and used",
                     charts.bars(names, days, title="Consultancy days", y_title="Days",
                                 horizontal=True),
                     charts.table("Consultancy days by site", ["Site", "Allocated", "Used"],
                                  [[names[i], days[0][1][i], days[1][1][i]] for i in range(len(names))])))
    return out


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None
