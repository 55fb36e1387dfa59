"""The demo programme's dates tell a real site's story: past cycles of three to six months in
sequence, each assessment signed off, changes judged and the cycle closed inside it, nothing
after the day it was loaded, and measures that move when (and only after) a change was adopted."""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import time_machine
from sqlmodel import col, select

from imroc import clock
from imroc.db import write_session
from imroc.models import (
    Action,
    AuditEvent,
    Cycle,
    DataPoint,
    Measure,
    ReferencePoint,
    SharedChange,
    Site,
)
from imroc.seed import demo_history
from imroc.seed.demo import load_demo
from imroc.services.measures import charts as measure_charts

LOADED = datetime(2027, 6, 20, 11, 0, tzinfo=clock.UK)  # summer time: UK and UTC dates differ near midnight
TODAY = LOADED.date()


def _in(day: date, start: date, end: date) -> bool:
    return start <= day <= end


def test_demo_cycles_are_dated_like_a_real_programme():
    with time_machine.travel(LOADED, tick=False), write_session() as session:
        load_demo(session)
        loaded_at = clock.utcnow()
        sites = {s.id: s for s in session.exec(select(Site)).all()}
        by_site: dict[int, list[Cycle]] = defaultdict(list)
        for cycle in session.exec(select(Cycle).order_by(col(Cycle.site_id), col(Cycle.number))):
            by_site[cycle.site_id].append(cycle)
        assert len(by_site) == len(sites) - 1  # the first site stays fresh for a walk-through
        spans: dict[int, tuple[date, date]] = {}
        for site_id, chain in by_site.items():
            *past, current = chain
            assert past, sites[site_id].name
            assert current.stage == "assess" and current.closed_at is None
            # The open cycle looks live: begun a few weeks before the day the demo was loaded.
            assert TODAY - timedelta(days=92) <= current.started_on < TODAY
            assert current.stage_changed_at <= loaded_at
            for earlier, later in zip(chain, chain[1:], strict=False):
                assert later.started_on == clock.uk_date_of(earlier.closed_at)
            for cycle in past:
                signed = clock.uk_date_of(cycle.signed_off_at)
                closed = clock.uk_date_of(cycle.closed_at)
                label = f"{sites[site_id].name} cycle {cycle.number}"
                assert cycle.started_on < signed <= closed <= TODAY, label
                assert 92 <= (closed - cycle.started_on).days <= 183, label
                assert clock.uk_date_of(cycle.stage_changed_at) == closed, label
                spans[cycle.id] = (cycle.started_on, closed)
            spans[current.id] = (current.started_on, TODAY)
        hollinsmere = next(s for s in sites.values() if s.name.startswith("Hollinsmere"))
        assert by_site[hollinsmere.id][0].started_on == date(2023, 1, 9)

        actions = session.exec(select(Action)).all()
        assert any(a.outcome for a in actions)
        for action in actions:
            start, end = spans[action.cycle_id]
            assert _in(clock.uk_date_of(action.created_at), start, end), action.title
            if action.outcome:
                assert _in(action.outcome_on, start, end), action.title

        events = session.exec(select(AuditEvent)).all()
        assert all(e.occurred_at <= loaded_at for e in events)
        for event in events:
            if event.entity == "cycle" and int(event.entity_id) in spans:
                start, end = spans[int(event.entity_id)]
                assert _in(clock.uk_date_of(event.occurred_at), start, end), event.action

        # Measures: nothing after the last complete month, and Hollinsmere's seclusion hours
        # fall (and are rebased) the month after it adopted the safety-planning practice,
        # which its chart marks.
        assert max(p.period_start for p in session.exec(select(DataPoint))) < TODAY.replace(day=1)
        local = session.exec(select(Measure).where(Measure.site_id == hollinsmere.id)).one()
        points = session.exec(select(DataPoint).where(DataPoint.measure_id == local.id)
                              .order_by(col(DataPoint.period_start))).all()
        adopted = session.exec(select(Action).join(Cycle, col(Cycle.id) == Action.cycle_id).where(
            Cycle.site_id == hollinsmere.id, Action.title == demo_history.SAFETY_PLANNING[1],
            Action.outcome == "adopt")).one()
        rebased = [p for p in points if p.rebase]
        assert len(rebased) == 1 and rebased[0].annotation == demo_history.SAFETY_PLANNING[1]
        assert rebased[0].period_start == (adopted.outcome_on.replace(day=1) + timedelta(days=31)
                                           ).replace(day=1)
        before = [p.value for p in points if p.period_start < rebased[0].period_start]
        after = [p.value for p in points if p.period_start >= rebased[0].period_start]
        assert sum(after) / len(after) < sum(before) / len(before) - 15
        markers = measure_charts.events(session, site=hollinsmere, measure=local,
                                        challenges=[6], first=points[0].period_start,
                                        last=points[-1].period_start)
        number = session.get(Cycle, adopted.cycle_id).number
        assert (adopted.outcome_on, f"Change adopted (cycle {number}): {adopted.title}") in markers
        assert all(day <= TODAY for day, _text in markers)

        # The survey measure: national values for each ended survey year, and each site's
        # scores with the band the survey gave them, read in the chart's summary.
        survey = session.exec(select(Measure).where(Measure.frequency == "yearly")).one()
        national = session.exec(select(ReferencePoint).where(
            ReferencePoint.measure_id == survey.id)).all()
        assert national and max(r.period_start for r in national).year == TODAY.year - 1
        scored = session.exec(select(DataPoint).where(DataPoint.measure_id == survey.id)).all()
        assert {p.band for p in scored} <= {"better", "about_same", "worse"} and scored
        reading = measure_charts.analyse(session, site=hollinsmere, measure=survey,
                                         challenges=[1, 5])
        assert f"In {TODAY.year - 1} the trust scored" in reading.summary

        # Changes that worked: shared the day their cycle closed, with the learning set and
        # (without the site's name) the programme, reading the measures loaded afterwards;
        # one tried at another site of the set in a cycle that began after it was shared.
        shared = session.exec(select(SharedChange).order_by(col(SharedChange.id))).all()
        assert {c.scope for c in shared} == {"learning_set", "programme"}
        assert any(c.anonymised for c in shared) and any(c.measures for c in shared)
        for change in shared:
            cycle = session.get(Cycle, change.cycle_id)
            assert clock.uk_date_of(change.shared_at) == clock.uk_date_of(cycle.closed_at)
        tried = session.exec(select(Action).where(col(Action.origin_change_id).is_not(None))).all()
        assert len(tried) == 1
        origin = session.get(SharedChange, tried[0].origin_change_id)
        assert session.get(Cycle, tried[0].cycle_id).site_id != origin.site_id
        assert tried[0].created_at > origin.shared_at


def test_past_cycles_last_three_to_six_months_and_end_on_the_day_given():
    rng = random.Random(7)
    last = date(2026, 11, 10)
    for first, count in [(None, 1), (None, 3), (date(2023, 1, 9), 2), (date(2026, 7, 1), 1),
                         (date(2026, 9, 1), 2)]:
        days = demo_history.spans(rng, first=first, last=last, count=count)
        assert days[-1] == last
        if first is not None and (last - first).days >= 92:
            assert days[0] == first
        else:
            assert len(days) == count + 1
        assert all(92 <= (b - a).days <= 183 for a, b in zip(days, days[1:], strict=False))
