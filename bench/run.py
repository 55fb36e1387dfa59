"""`make bench`: a 500-site programme, the production server, and load on it.

Prints requests/s, p50/p95/p99 latency, SQL statements and server processor time per
request, each against /healthz in the same run; each kept page's first visit after a change;
the read-only pages under wrk too; one worker against two; the bytes a second visit to typical
pages transfers; seeding time and peak server memory. Then the targets of issue 18 with what
was measured and whether each was met (the exit status is 1 when one was missed).
Writes every figure to bench/results/<time>-<database>.json so runs can be compared.
"""

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import load, targets, wrk
from bench.scenarios import Scenarios, read_only_pages, sign_in_burst
from bench.server import ROOT, Server, drop, prepare
from bench.transfer import second_visits

PLAN = [  # name, concurrency, ok statuses
    ("healthz", 8, {200}), ("healthz_with_cookie", 8, {200}), ("site_dashboard", 8, {200}),
    ("learning_set_dashboard", 8, {200}), ("programme_comparison", 8, {200}),
    ("rating_save", 16, {200}), ("action_edit", 8, {200}),
]
READ_ONLY = ["healthz", "healthz_with_cookie", *targets.KEPT_PAGES]


def measure(server: Server, plans: dict, name: str, concurrency: int, seconds: float,
            ok: set[int] = frozenset({200}), rate: float | None = None, warm: bool = True,
            pages: list[str] = ()) -> dict:
    """One scenario: every page's first visit (what is kept is built) and a second's warm-up,
    then the run, with the server's processor time per request (steadier than throughput on a
    shared machine)."""
    make, extra = plans[name]
    if warm:
        with httpx.Client(base_url=server.base, timeout=120) as c:
            for path in pages:
                c.get(path, headers=make(0)[2])
        load.run("127.0.0.1", server.port, make, concurrency=concurrency, seconds=1,
                 ok=frozenset(ok), **extra)
    cpu = server.cpu_seconds()
    outcome = load.run("127.0.0.1", server.port, make, concurrency=concurrency,
                       seconds=seconds, rate=rate, ok=frozenset(ok), **extra)
    used = server.cpu_seconds() - cpu
    return {"concurrency": concurrency, **outcome.summary(),
            "server_cpu_ms": round(used * 1000 / max(1, len(outcome.latencies)), 3)}


def with_wrk(server: Server, cookie: str, sizes: dict, seconds: float) -> dict:
    """The read-only pages driven by wrk (8 connections), with server processor time."""
    paths = {"healthz": ["/healthz"], "healthz_with_cookie": ["/healthz"],
             **read_only_pages(sizes)}
    out = {}
    with httpx.Client(base_url=server.base, timeout=120) as c:
        for name in READ_ONLY:
            headers = {} if name == "healthz" else {"Cookie": cookie}
            for path in paths[name]:  # first visits build what is kept
                assert c.get(path, headers=headers).status_code == 200, path
            cpu = server.cpu_seconds()
            figures = wrk.run(server.base, paths[name], headers=headers, seconds=seconds)
            used = server.cpu_seconds() - cpu
            out[name] = {**figures, "server_cpu_ms": round(
                used * 1000 / max(1, figures["requests"]), 3)}
    return out


def workers_compared(url: str, secret: str, scenarios: Scenarios, one: dict,
                     seconds: float) -> dict:
    """`imroc serve --workers 2` on the same database: the read-only pages' throughput
    against the one worker's in this run (Python load generator, and wrk when installed).
    The people stay signed in: their sessions are in the database."""
    server = Server(url, workers=2, secret=secret)
    try:
        plans = scenarios.plans()
        pages = read_only_pages(scenarios.sizes)
        two = {"scenarios": {name: measure(server, plans, name, 8, seconds,
                                           pages=pages.get(name, []))
                             for name in READ_ONLY}}
        if wrk.available():
            two["wrk"] = with_wrk(server, scenarios.cookie, scenarios.sizes, seconds)
        two["server_peak_mb"] = round(server.peak_mb(), 1)
    finally:
        server.stop()
    compared = {}
    for tool in ("scenarios", "wrk"):
        if tool in two and tool in one:
            compared[tool] = {name: {"one_worker_rps": one[tool][name]["rps"],
                                     "two_workers_rps": two[tool][name]["rps"],
                                     "ratio": round(two[tool][name]["rps"]
                                                    / max(0.1, one[tool][name]["rps"]), 2)}
                              for name in READ_ONLY}
    return {"two_workers": two, "compared": compared}


def run(args: argparse.Namespace) -> dict:
    sizes = {"sites": args.sites, "sets": max(1, args.sites // 10), "cycles": 6, "raters": 8,
             "actions": 5}
    tmp = Path(tempfile.mkdtemp(prefix="imroc-bench-"))
    url, seeded, counts = prepare(args.db, tmp, sizes)
    print(f"Seeded {counts['site']} sites, {counts['cycle']} cycles, {counts['rating']} ratings, "
          f"{counts['action']} actions in {seeded:.1f} s ({args.db})", flush=True)
    secret = secrets.token_urlsafe(48)
    results: dict = {"database": args.db, "sizes": sizes, "ratings": counts["rating"],
                     "seeding_seconds": round(seeded, 1), "scenarios": {}}
    server = Server(url, secret=secret)
    try:
        scenarios = Scenarios(server.base, sizes)
        plans = scenarios.plans()
        for name, concurrency, ok in PLAN:
            results["scenarios"][name] = measure(server, plans, name, concurrency,
                                                 args.seconds, ok,
                                                 pages=read_only_pages(sizes).get(name, []))
            if name == "rating_save":
                results["rating_read_back"] = scenarios.lost_ratings()
            if name == "programme_comparison":
                results["cold"] = scenarios.cold_pages(server, args.cold_rounds)
            print(f"  {name}: done", flush=True)
        results["scenarios"]["mixed_50rps"] = measure(server, plans, "mixed", 10,
                                                      args.mixed_seconds, rate=50, warm=False)
        if wrk.available():
            results["wrk"] = with_wrk(server, scenarios.cookie, sizes, args.seconds)
        else:
            results["wrk"] = None
            print("wrk is not installed (Debian package wrk): its figures are left out")
        if not args.core_only:
            results["second_visit"] = second_visits(server.base, scenarios.cookie,
                                                    sizes["cycles"])
            results["sign_in_burst"] = sign_in_burst(server.base, 100, sizes["sites"])
        results["server_peak_mb"] = round(server.peak_mb(), 1)
        server.stop()
        if not args.core_only:
            one = {"scenarios": results["scenarios"], **({"wrk": results["wrk"]}
                                                         if results["wrk"] else {})}
            results["workers"] = workers_compared(url, secret, scenarios, one, args.seconds)
    finally:
        server.stop()
        drop(args.db, url)
    results["targets"] = targets.check(results)
    results["missed"] = sum(not r["met"] for r in results["targets"])
    return results


def report(results: dict) -> None:
    s = results["scenarios"]
    health = s["healthz"]
    print(f"\n{'scenario':<24}{'conc':>5}{'req/s':>9}{'x rps':>7}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'SQL':>6}{'errors':>7}{'CPU ms':>8}{'x CPU':>7}")
    for name, r in s.items():
        r["ratio_to_healthz"] = round(r["rps"] / max(0.1, health["rps"]), 3)
        r["cpu_ratio_to_healthz"] = round(r["server_cpu_ms"] / max(1e-6, health["server_cpu_ms"]),
                                          2)
        print(f"{name:<24}{r['concurrency']:>5}{r['rps']:>9}{r['ratio_to_healthz']:>7}"
              f"{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{str(r['sql_statements']):>6}"
              f"{r['errors']:>7}{r['server_cpu_ms']:>8}{r['cpu_ratio_to_healthz']:>7}")
    print("\nFirst visit after a change (nothing kept):", ", ".join(
        f"{name} {c['server_cpu_ms']} ms CPU ({c['p50_ms']} ms, {c['sql_statements']} SQL)"
        for name, c in results["cold"].items()))
    if results.get("wrk"):
        print("\nwrk, 8 connections:", ", ".join(
            f"{name} {w['rps']}/s p95 {w['p95_ms']} ms CPU {w['server_cpu_ms']} ms"
            f"{' (' + str(w['errors']) + ' errors)' if w['errors'] else ''}"
            for name, w in results["wrk"].items()))
    for tool, rows in results.get("workers", {}).get("compared", {}).items():
        print(f"\nTwo workers against one ({'wrk' if tool == 'wrk' else 'Python load'}):",
              ", ".join(f"{n} {r['one_worker_rps']} -> {r['two_workers_rps']}/s "
                        f"(x{r['ratio']})" for n, r in rows.items()))
    if "second_visit" in results:
        print("\nSecond visit (a day later; in Chromium straight after):", ", ".join(
            f"{name} {v['bytes'] / 1024:.1f} KB" + (
                f" ({v['chromium_bytes'] / 1024:.1f} KB)" if "chromium_bytes" in v else "")
            for name, v in results["second_visit"].items()))
        burst = results["sign_in_burst"]
        print(f"\n{burst['count']} simultaneous sign-ins: {burst['seconds']} s ({burst['ok']} ok)")
    print(f"Server peak memory {results['server_peak_mb']} MB; seeding "
          f"{results['seeding_seconds']} s\n")
    print(targets.table(results["targets"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--mixed-seconds", type=float, default=60)
    parser.add_argument("--cold-rounds", type=int, default=10)
    parser.add_argument("--core-only", action="store_true",
                        help="leave out second visits, the sign-in burst and two workers")
    args = parser.parse_args()
    results = run(args)
    report(results)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.db}-{args.sites}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"Figures written to {path.relative_to(ROOT)}")
    return 1 if results["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
