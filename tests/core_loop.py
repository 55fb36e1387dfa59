"""Helpers for the core-loop rule tests: drive a cycle through the API, snapshot the data.

Data is read back with plain SQL through the autocommit test session, so a check never sees
an object cached in the session's identity map.
"""

import threading
from collections.abc import Callable

from sqlalchemy import text

from tests.factories import World, api_token

API = "/api/v1"
STAGES = ["assess", "plan", "do", "study", "act", "closed"]
LOOP_TABLES = ("cycle", "rating", "consensus_score", "facilitator_rating", "priority", "action",
               "feedback", "progress_score", "audit_event")
ROLES = ("lead", "member", "member_b", "facilitator", "other_facilitator", "programme")


def make_world(session, client) -> World:
    """The factories' World plus an API token per role, as w.h["lead"] etc."""
    world = World(session)
    world.h = {role: api_token(client, world.by_role(role)) for role in ROLES}
    return world


def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def rows(session, sql: str, **params) -> list[tuple]:
    return [tuple(r) for r in session.connection().execute(text(sql), params).all()]


def db_state(session) -> dict[str, list[tuple]]:
    """Every row of every table the core loop writes (the audit trail included)."""
    return {t: rows(session, f'SELECT * FROM "{t}" ORDER BY id') for t in LOOP_TABLES}


def refused(session, call: Callable, status: int):
    """Make a request that must be refused with `status` and must change nothing."""
    before = db_state(session)
    response = call()
    assert response.status_code == status, response.text
    assert db_state(session) == before, "a refused request changed the data"
    return response.json()


def last_audit_id(session) -> int:
    return rows(session, "SELECT coalesce(max(id), 0) FROM audit_event")[0][0]


def audits_since(session, mark: int) -> list[tuple]:
    """(entity, entity_id, action, site_id, actor_id) of the events written after `mark`."""
    return rows(session, "SELECT entity, entity_id, action, site_id, actor_id FROM audit_event "
                         "WHERE id > :mark ORDER BY id", mark=mark)


def audited(session, call: Callable, *, entity: str, action: str, site_id: int,
            actor_id: int, status: int = 200, entity_id=None):
    """Make a successful write and check it wrote exactly one matching audit event."""
    mark = last_audit_id(session)
    body = ok(call(), status)
    events = audits_since(session, mark)
    assert len(events) == 1, events
    got_entity, got_id, got_action, got_site, got_actor = events[0]
    assert (got_entity, got_action, got_site, got_actor) == (entity, action, site_id, actor_id)
    if entity_id is not None:
        assert got_id == str(entity_id)
    return body


def levels(level: int = 1, challenges=range(1, 11), key: str = "comment") -> list[dict]:
    return [{"challenge": c, "level": level, key: f"note on {c}"} for c in challenges]


def ratings(level: int = 1, challenges=range(1, 11)) -> dict:
    return {"ratings": levels(level, challenges)}


def scores(level: int = 1, challenges=range(1, 11)) -> dict:
    return {"scores": levels(level, challenges, key="rationale")}


def open_cycle(client, lead, site_id: int, **body) -> dict:
    return ok(client.post(f"{API}/sites/{site_id}/cycles",
                          json=body or {"started_on": "2024-01-08"}, headers=lead), 201)


def advance_to(client, lead, cid: int, stage: str, *, priority: int = 3,
               action_status: str = "in_progress") -> None:
    """Meet each stage's conditions through the API and move on until the cycle is at `stage`."""
    url = f"{API}/cycles/{cid}"
    current = ok(client.get(url, headers=lead))["stage"]
    while STAGES.index(current) < STAGES.index(stage):
        if current == "assess":
            ok(client.put(f"{url}/consensus", json=scores(1), headers=lead))
            ok(client.post(f"{url}/consensus/sign-off", headers=lead))
        elif current == "plan":
            ok(client.put(f"{url}/priorities", headers=lead, json={"priorities": [
                {"challenge": priority, "rank": 1, "target_level": 2, "reason": "lowest"}]}))
            ok(client.post(f"{url}/actions", headers=lead, json={
                "challenge": priority, "title": "Co-produce care plans", "owner": "Sam",
                "status": action_status}), 201)
            ok(client.patch(url, headers=lead, json={"aim": "More co-produced plans",
                                                      "prediction": "Half of them"}))
        elif current == "do":
            ok(client.patch(url, headers=lead, json={"do_notes": "We ran it."}))
        elif current == "study":
            for action in ok(client.get(f"{url}/actions", headers=lead)):
                ok(client.patch(f"{API}/actions/{action['id']}", headers=lead,
                                json={"outcome": "adapt", "version": action["version"]}))
            ok(client.patch(url, headers=lead, json={"study_notes": "Fewer than predicted."}))
        elif current == "act":
            ok(client.patch(url, headers=lead, json={"act_notes": "Adapt and retest."}))
        current = ok(client.post(f"{url}/advance", headers=lead))["stage"]
    assert current == stage


def run_together(count: int, work: Callable[[int, threading.Barrier], object]) -> list:
    """Run work(i, barrier) in `count` threads; each result or exception, in thread order."""
    barrier = threading.Barrier(count, timeout=60)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i, barrier)
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results
