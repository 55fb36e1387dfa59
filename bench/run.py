"""`make bench`: a 500-site programme, the production server, and load from this process.

Prints requests/s, p50/p95/p99 latency, SQL statements and server processor time per
request and each page's throughput relative to /healthz in the same run; the bytes a second
visit to typical pages transfers; seeding time and peak server memory.
Writes the figures to bench/results/<time>-<database>.json so runs can be compared.
"""

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text

from bench import load
from bench.seed import PASSWORD, build
from bench.transfer import second_visits

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("IMROC_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db: str, tmp: Path, sizes: dict) -> tuple[str, float, dict]:
    """A fresh database at head with the reference data and the programme."""
    if db == "postgres":
        name = f"imroc_bench_{secrets.token_hex(3)}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["IMROC_DATABASE_URL"] = url
    from imroc.config import get_settings

    get_settings.cache_clear()
    subprocess.run([sys.executable, "-m", "imroc.cli", "db", "upgrade"], check=True,
                   capture_output=True)
    from imroc.db import get_engine, write_session
    from imroc.seed.reference import load_reference
    from imroc.services import frameworks

    started = time.perf_counter()
    with write_session() as session:
        load_reference(session)
        fw_id = frameworks.current(session).id
    counts = build(get_engine(), framework_id=fw_id, **sizes)
    seeded = time.perf_counter() - started
    get_engine().dispose()
    return url, seeded, counts


def drop(db: str, url: str) -> None:
    if db == "postgres":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


class Server:
    """The app as in production: one uvicorn worker, its peak memory sampled."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
        env.update({"IMROC_DATABASE_URL": url, "IMROC_ENV": "production",
                    "IMROC_SECRET_KEY": secrets.token_urlsafe(48), "IMROC_COUNT_SQL": "true",
                    "IMROC_LOG_LEVEL": "WARNING"})
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/imroc"), "serve", "--host",
                                      "127.0.0.1", "--port", str(self.port), "--workers", "1"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.peak_kb = 0
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready")

    def cpu_seconds(self) -> float:
        """Processor time the server has used so far (user and system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def browser_session(base: str, email: str) -> tuple[str, str]:
    """Sign in through the form; returns the Cookie header and the CSRF token."""
    # Cookies are Secure as in production; over loopback http we carry them by hand.
    def cookies(response: httpx.Response) -> str:
        return "; ".join(h.split(";", 1)[0] for h in response.headers.get_list("set-cookie"))

    with httpx.Client(base_url=base) as c:
        page = c.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed = c.post("/sign-in", headers={"Cookie": cookies(page)},
                        data={"email": email, "password": PASSWORD, "csrf_token": token})
        cookie = next(p for p in cookies(signed).split("; ") if p.startswith("imroc_session="))
        home = c.get("/", headers={"Cookie": cookie}).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home).group(1)
    return cookie, csrf


def api_token(base: str, email: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    return r.json()["access_token"]


def scenarios(base: str, sizes: dict) -> dict:
    cycles = sizes["cycles"]
    cookie, _ = browser_session(base, "programme@bench.example")
    page = {"Cookie": cookie}
    open_cycle = lambda site: site * cycles  # noqa: E731 - ids follow the seeding order
    raters = [(s, f"s{s}.r{(s % 7) + 1}@bench.example") for s in range(1, 33)]
    tokens = [(s, api_token(base, e)) for s, e in raters]
    members = [(s, *browser_session(base, e)) for s, e in raters[:8]]
    versions: dict[int, int] = {}

    def rating(n: int) -> load.Request:
        site, token = tokens[(n // 1_000_000) % len(tokens)]
        body = json.dumps({"ratings": [{"challenge": c, "level": random.randint(0, 3),
                                        "comment": "benchmark"} for c in range(1, 11)]})
        return ("PUT", f"/api/v1/cycles/{open_cycle(site)}/ratings",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body.encode())

    def action(n: int) -> load.Request:
        worker = n // 1_000_000
        site, token = tokens[worker % len(tokens)]
        action_id = open_cycle(site) * sizes["actions"]  # the last action of the open cycle
        body = json.dumps({"notes": f"edit {n}", "version": versions.setdefault(action_id, 1)})
        return ("PATCH", f"/api/v1/actions/{action_id}",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body.encode())

    def after_action(status: int, body: bytes) -> None:
        if status == 200:
            data = json.loads(body)
            versions[data["id"]] = data["version"]

    def mixed(n: int) -> load.Request:
        roll = random.random()
        site, cookie_m, csrf = members[(n // 1_000_000) % len(members)]
        headers = {"Cookie": cookie_m}
        cid = open_cycle(site)
        if roll < 0.7:
            path = random.choice([f"/sites/{site}/dashboard", f"/cycles/{cid}", "/sites",
                                  f"/cycles/{cid}/rate"])
            return ("GET", path, headers, b"")
        if roll < 0.9:
            return ("GET", f"/cycles/{cid}/rate?challenge={random.randint(1, 10)}",
                    {**headers, "HX-Request": "true"}, b"")
        c = random.randint(1, 10)
        body = urlencode({"challenge": c, f"level_{c}": random.randint(0, 3),
                          f"comment_{c}": "mixed"}).encode()
        return ("POST", f"/cycles/{cid}/rate", {
            **headers, "HX-Request": "true", "X-CSRF-Token": csrf,
            "Content-Type": "application/x-www-form-urlencoded"}, body)

    return {
        "healthz": (lambda n: ("GET", "/healthz", {}, b""), {}),
        "site_dashboard": (lambda n: ("GET", f"/sites/{1 + n % 20}/dashboard", page, b""), {}),
        "learning_set_dashboard": (lambda n: ("GET",
                                              f"/learning-sets/{1 + n % min(10, sizes['sets'])}/dashboard",
                                              page, b""), {}),
        "programme_comparison": (lambda n: ("GET", "/programme", page, b""), {}),
        "rating_save": (rating, {}),
        "action_edit": (action, {"after": after_action}),
        "mixed": (mixed, {}),
    }


def sign_in_burst(base: str, count: int) -> dict:
    """`count` people signing in at the same moment."""
    emails = [f"s{s}.r{r}@bench.example" for s in range(100, 500) for r in range(8)][:count]
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def one(email: str) -> None:
        with httpx.Client(timeout=60) as c:
            barrier.wait()
            statuses.append(c.post(f"{base}/api/v1/auth/token",
                                   data={"username": email, "password": PASSWORD}).status_code)

    threads = [threading.Thread(target=one, args=(e,)) for e in emails]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"count": count, "seconds": round(time.perf_counter() - started, 2),
            "ok": statuses.count(200)}


PLAN = [  # name, concurrency, ok statuses
    ("healthz", 8, {200}), ("site_dashboard", 8, {200}), ("learning_set_dashboard", 8, {200}),
    ("programme_comparison", 1, {200}), ("rating_save", 16, {200}), ("action_edit", 8, {200}),
]


def _cpu_per_request(server: Server, started: float, outcome: load.Result) -> dict:
    # Processor time per request: steadier than throughput on a machine shared with others.
    used = server.cpu_seconds() - started
    return {"server_cpu_ms": round(used * 1000 / max(1, len(outcome.latencies)), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--mixed-seconds", type=float, default=60)
    args = parser.parse_args()
    sizes = {"sites": args.sites, "sets": max(1, args.sites // 10), "cycles": 6, "raters": 8,
             "actions": 5}
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="imroc-bench-"))
    url, seeded, counts = prepare(args.db, tmp, sizes)
    print(f"Seeded {counts['site']} sites, {counts['cycle']} cycles, {counts['rating']} ratings, "
          f"{counts['action']} actions in {seeded:.1f} s ({args.db})")
    server = Server(url)
    base = f"http://127.0.0.1:{server.port}"
    results: dict = {"database": args.db, "sizes": sizes, "seeding_seconds": round(seeded, 1),
                     "scenarios": {}}
    try:
        plans = scenarios(base, sizes)
        for name, concurrency, ok in PLAN:
            make, extra = plans[name]
            load.run("127.0.0.1", server.port, make, concurrency=concurrency, seconds=1,
                     ok=frozenset(ok), **extra)  # warm up (first visits build caches)
            cpu = server.cpu_seconds()
            outcome = load.run("127.0.0.1", server.port, make, concurrency=concurrency,
                               seconds=args.seconds, ok=frozenset(ok), **extra)
            results["scenarios"][name] = {"concurrency": concurrency, **outcome.summary(),
                                          **_cpu_per_request(server, cpu, outcome)}
        make, extra = plans["mixed"]
        cpu = server.cpu_seconds()
        mixed = load.run("127.0.0.1", server.port, make, concurrency=10,
                         seconds=args.mixed_seconds, rate=50, ok=frozenset({200}))
        results["scenarios"]["mixed_50rps"] = {"concurrency": 10, **mixed.summary(),
                                               **_cpu_per_request(server, cpu, mixed)}
        results["second_visit"] = second_visits(
            base, browser_session(base, "programme@bench.example")[0], sizes["cycles"])
        results["sign_in_burst"] = sign_in_burst(base, 100)
        results["server_peak_mb"] = round(server.peak_mb(), 1)
    finally:
        server.stop()
        drop(args.db, url)
    base_rps = results["scenarios"]["healthz"]["rps"] or 1
    print(f"\n{'scenario':<24}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'SQL':>6}{'vs healthz':>12}{'errors':>8}{'CPU ms':>8}")
    for name, s in results["scenarios"].items():
        s["ratio_to_healthz"] = round(s["rps"] / base_rps, 3)
        print(f"{name:<24}{s['concurrency']:>5}{s['rps']:>9}{s['p50_ms']:>9}{s['p95_ms']:>9}"
              f"{s['p99_ms']:>9}{str(s['sql_statements']):>6}{s['ratio_to_healthz']:>12}"
              f"{s['errors']:>8}{s['server_cpu_ms']:>8}")
    print("\nSecond visit (a day later; in Chromium straight after):", ", ".join(
        f"{name} {v['bytes'] / 1024:.1f} KB" + (f" ({v['chromium_bytes'] / 1024:.1f} KB)"
                                                if "chromium_bytes" in v else "")
        for name, v in results["second_visit"].items()))
    burst = results["sign_in_burst"]
    print(f"\n100 simultaneous sign-ins: {burst['seconds']} s ({burst['ok']} ok); "
          f"server peak memory {results['server_peak_mb']} MB; seeding {results['seeding_seconds']} s")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.db}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"Figures written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
