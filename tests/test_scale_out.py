"""Scale and speed: two app processes sharing one PostgreSQL database, as behind a load
balancer, and what a second visit to a page costs on the wire.

Each process is a real server (`imroc serve`) on its own port. Nothing may live in one
process's memory: a session or token made by one works on the other, writes through
either are seen by both, and a stale edit is caught even when the two edits reached
different processes. Those tests need PostgreSQL; the transfer test runs on both databases.
"""

import gc
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from markupsafe import Markup

from bench.transfer import second_visit
from imroc.clock import utcnow
from imroc.main import tune_process
from imroc.models import ConsensusScore, Cycle, Site
from imroc.services import frameworks
from imroc.services.dashboards import aggregates as dashboards
from imroc.templating import env, memo
from tests.conftest import DATABASE_URL
from tests.core_loop import API, advance_to, ok, open_cycle, ratings, rows
from tests.factories import PASSWORD, World, api_token, csrf_from, sign_in
from tests.test_dashboards import add_history

ROOT = Path(__file__).resolve().parent.parent
IMROC = Path(sys.executable).parent / "imroc"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `imroc serve` process; stopped (and killed if need be) by stop()."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
        env.update({"IMROC_DATABASE_URL": DATABASE_URL, "IMROC_ENV": "test",
                    "IMROC_SECRET_KEY": os.environ["IMROC_SECRET_KEY"],
                    "IMROC_COOKIE_SECURE": "false", "IMROC_LOG_LEVEL": "WARNING"})
        self.proc = subprocess.Popen([str(IMROC), "serve", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--workers", "1"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self) -> None:
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited: {self.proc.stderr.read()!r}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not become ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stderr.close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    """Processes A and B on two ports, the same database; both stopped whatever happens."""
    started: list[Server] = []
    try:
        started = [Server("A"), Server("B")]
        for server in started:
            server.wait_ready()
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _client(server: Server, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=30, **kwargs)


def _token(server: Server, user) -> dict[str, str]:
    with _client(server) as c:
        body = ok(c.post(f"{API}/auth/token", data={"username": user.email,
                                                    "password": PASSWORD}))
    return {"Authorization": f"Bearer {body['access_token']}"}


def _browser_session(server: Server, user) -> str:
    """Sign in through the form on `server`; returns the session cookie's value."""
    with _client(server) as c:
        page = c.get("/sign-in")
        signed = c.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                          "csrf_token": csrf_from(page.text)},
                        follow_redirects=True)
        assert signed.status_code == 200 and signed.url.path == "/", signed.text
        return c.cookies["imroc_session"]


@pytest.mark.postgres_only
def test_two_processes_share_sessions_writes_and_version_checks(servers, session):
    a, b = servers
    assert a.proc.pid != b.proc.pid and a.port != b.port
    w = World(session)
    site = w.site_a.id

    # A token issued by A is honoured by B, and the other way round.
    lead_a, member_b = _token(a, w.lead), _token(b, w.member)
    with _client(a) as ca, _client(b) as cb:
        assert ok(cb.get(f"{API}/sites/{site}", headers=lead_a))["id"] == site
        assert ok(ca.get(f"{API}/sites/{site}", headers=member_b))["id"] == site

        # Interleaved writes: the cycle opened through B, ratings through both.
        cid = ok(cb.post(f"{API}/sites/{site}/cycles", json={"started_on": "2024-01-08"},
                         headers=lead_a), 201)["id"]
        ok(ca.put(f"{API}/cycles/{cid}/ratings", json=ratings(2), headers=member_b))
        ok(cb.put(f"{API}/cycles/{cid}/ratings", json=ratings(1), headers=lead_a))
        ok(ca.put(f"{API}/cycles/{cid}/ratings", json=ratings(3, range(1, 4)),
                  headers=member_b))

        # Through to the plan stage on A, then actions added alternately through A and B.
        advance_to(ca, lead_a, cid, "plan")
        ok(cb.put(f"{API}/cycles/{cid}/priorities", headers=lead_a, json={"priorities": [
            {"challenge": 3, "rank": 1, "target_level": 2, "reason": "lowest"}]}))
        titles = [f"Action {i} via {'AB'[i % 2]}" for i in range(6)]
        created = [ok((ca if i % 2 == 0 else cb).post(
            f"{API}/cycles/{cid}/actions", headers=member_b if i % 2 else lead_a,
            json={"challenge": 3, "title": title, "owner": "Sam"}), 201)
            for i, title in enumerate(titles)]
        assert len({c["id"] for c in created}) == len(titles)

        # A stale version across processes: A saves version 1, B then sends version 1 again.
        target = created[0]
        saved = ok(ca.patch(f"{API}/actions/{target['id']}", headers=lead_a,
                            json={"notes": "Saved through A", "version": target["version"]}))
        assert saved["version"] == target["version"] + 1
        stale = cb.patch(f"{API}/actions/{target['id']}", headers=member_b,
                         json={"notes": "Stale through B", "version": target["version"]})
        assert stale.status_code == 409, stale.text
        assert "Saved through A" in stale.text  # the current record comes back

        # Every write is visible through both processes, and in the database itself.
        for client in (ca, cb):
            by_rater = {}
            for r in ok(client.get(f"{API}/cycles/{cid}/ratings", headers=lead_a))["ratings"]:
                by_rater.setdefault(r["rater_id"], {})[r["challenge"]] = r["level"]
            assert by_rater == {w.member.id: {c: 3 if c <= 3 else 2 for c in range(1, 11)},
                                w.lead.id: dict.fromkeys(range(1, 11), 1)}
            listed = ok(client.get(f"{API}/cycles/{cid}/actions", headers=member_b))
            assert {x["title"] for x in listed} >= set(titles)
            by_id = {x["id"]: x for x in listed}
            assert by_id[target["id"]]["notes"] == "Saved through A"
            assert by_id[target["id"]]["version"] == saved["version"]
            assert ok(client.get(f"{API}/cycles/{cid}", headers=lead_a))["stage"] == "plan"
    stored = rows(session, "SELECT title, notes FROM action WHERE cycle_id = :c", c=cid)
    assert {t for t, _ in stored} >= set(titles)
    assert ("Action 0 via A", "Saved through A") in stored
    assert not [n for _, n in stored if n == "Stale through B"]


@pytest.mark.postgres_only
def test_a_browser_session_from_one_process_works_on_the_other(servers, session):
    a, b = servers
    w = World(session)
    cookie = _browser_session(a, w.member)
    with _client(b, cookies={"imroc_session": cookie}) as cb, \
            _client(a, cookies={"imroc_session": cookie}) as ca:
        home = cb.get("/")
        assert home.status_code == 200 and w.member.name in home.text
        lead = _token(a, w.lead)
        cid = ok(ca.post(f"{API}/sites/{w.site_a.id}/cycles", json={"started_on": "2024-01-08"},
                         headers=lead), 201)["id"]
        # A form post on B with the CSRF token that A's page carried.
        token = csrf_from(ca.get(f"/cycles/{cid}/rate").text)
        saved = cb.post(f"/cycles/{cid}/rate", data={
            "csrf_token": token, "challenge": "4", "level_4": "2", "comment_4": "Posted via B"},
            headers={"HX-Request": "true"})
        assert saved.status_code == 200, saved.text
        # Signing out on B ends the session on A as well (sessions live in the database).
        assert cb.post("/sign-out", data={"csrf_token": token}).status_code == 303
        after = ca.get("/sites")
        assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")
    assert rows(session, "SELECT level, comment FROM rating WHERE cycle_id = :c AND "
                         "rater_id = :r", c=cid, r=w.member.id) == [(2, "Posted via B")]


def test_a_second_visit_transfers_under_50_kb(client, session):
    """Static files are fingerprinted and cached as immutable; pages are compressed."""
    w = World(session)
    add_history(session, w.site_a, cycles=4)
    cid = open_cycle(client, api_token(client, w.lead), w.site_a.id)["id"]
    sign_in(client, w.member)
    for path in (f"/sites/{w.site_a.id}/dashboard", f"/cycles/{cid}", f"/cycles/{cid}/rate"):
        visit = second_visit(client, path)
        assert visit.from_cache, f"{path}: nothing reused from the cache"
        assert [u for u in visit.from_cache if "plotly.min.js" in u] or "dashboard" not in path
        # Scripts and stylesheets never need asking for again.
        assert not [u for u in visit.asked_again if u.split("?")[0].endswith((".js", ".css"))], \
            visit.asked_again
        assert visit.total < 50_000, (path, visit)
    page = client.get(f"/sites/{w.site_a.id}/dashboard", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"


def test_kept_component_output_never_mixes_markup_with_text():
    """The header is kept per exact parameters: text to escape and markup are different keys."""
    source = "{% macro box(params) %}<p>{{ params.text }}</p>{% endmacro %}"
    box = env.from_string(source).module.box
    escaped = memo(box, {"text": "<b>Site</b>"})
    raw = memo(box, {"text": Markup("<b>Site</b>")})
    assert escaped == "<p>&lt;b&gt;Site&lt;/b&gt;</p>"
    assert raw == "<p><b>Site</b></p>"
    assert memo(box, {"text": "<b>Site</b>"}) is escaped  # kept, not rendered again


def test_medians_come_from_each_sites_latest_signed_off_levels(session):
    """Medians are read from per-level counts in SQL: only the latest signed-off cycles count."""
    w = World(session)
    neighbour = Site(name="Neighbour", kind="pilot", learning_set_id=w.set_a.id)
    session.add(neighbour)
    session.commit()
    fw = frameworks.current(session)

    def cycle(site, number: int, level: int, signed: bool = True) -> None:
        c = Cycle(site_id=site.id, number=number, framework_id=fw.id, stage="closed",
                  started_on=date(2023, number, 1), signed_off_at=utcnow() if signed else None,
                  learning_set_id=site.learning_set_id)
        session.add(c)
        session.flush()
        session.add_all([ConsensusScore(cycle_id=c.id, challenge=n, level=level)
                         for n in range(1, 11)])
        session.commit()

    cycle(w.site_a, 1, 0)  # superseded by cycle 2
    cycle(w.site_a, 2, 1)
    cycle(neighbour, 1, 2)
    cycle(w.site_b, 1, 3)
    cycle(w.site_b, 2, 0, signed=False)  # not signed off: does not count
    data = dashboards.site_dashboard(session, site=w.site_a)
    assert data.set_median == dict.fromkeys(range(1, 11), 1.5)  # sites A and Neighbour
    assert data.programme_median == dict.fromkeys(range(1, 11), 2)
    assert dashboards.median_of_counts({0: 1, 3: 2}) == 3
    assert dashboards.median_of_counts({}) is None


def test_a_server_process_hides_its_start_up_heap_from_the_collector():
    """Full collections over the start-up heap stalled requests; a server freezes it."""
    before = gc.get_threshold()
    try:
        tune_process()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
