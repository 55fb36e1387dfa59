"""Numbers people can trust: a chain of carried actions is one piece of work."""

from imroc.models import LearningSet
from imroc.services.dashboards import aggregates
from tests.core_loop import API, advance_to, ok, open_cycle


def test_a_carried_action_is_counted_once_in_its_latest_cycle(client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)["id"]
    advance_to(client, lead, first, "closed", action_status="in_progress")
    originals = ok(client.get(f"{API}/cycles/{first}/actions", headers=lead))
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    carried = ok(client.get(f"{API}/cycles/{second}/actions", headers=lead))
    assert originals and len(carried) == len(originals)  # every one went on
    board = aggregates.learning_set_dashboard(session, ls=session.get(LearningSet, w.set_a.id))
    counts = board.action_counts[w.site_a.id]
    assert sum(counts.values()) == len(originals)  # not twice
    assert counts == {"in_progress": len(originals)}
