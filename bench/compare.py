"""Two versions of the code on one database, taking turns, so a busy machine weighs on both alike.

    python -m bench.compare --baseline <git revision> [--db sqlite|postgres] [--sites 500]

The baseline is taken from git into a temporary directory; its server and this checkout's
serve the same programme in turn (each round starts both afresh), with the same scenarios as
`make bench`. Prints, for each scenario, server processor time per request (and as a multiple
of /healthz) and requests a second, before and after; writes bench/results/compare-*.json.
"""

import argparse
import io
import json
import secrets
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench.run import PLAN, measure
from bench.scenarios import Scenarios, read_only_pages
from bench.server import ROOT, Server, drop, prepare

SERVED = ["imroc", "templates", "static", "seed", "migrations", "pyproject.toml"]  # what serves
SCENARIOS = ["healthz", "site_dashboard", "learning_set_dashboard", "programme_comparison",
             "rating_save"]


def checkout(revision: str) -> Path:
    """The tree of `revision`, unpacked into a temporary directory."""
    target = Path(tempfile.mkdtemp(prefix="imroc-baseline-"))
    archive = subprocess.run(["git", "archive", revision, *SERVED], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="a git revision, e.g. main")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sizes = {"sites": args.sites, "sets": max(1, args.sites // 10), "cycles": 6, "raters": 8,
             "actions": 5}
    trees = {"before": checkout(args.baseline), "after": ROOT}
    url, _, _ = prepare(args.db, Path(tempfile.mkdtemp(prefix="imroc-compare-")), sizes)
    secret = secrets.token_urlsafe(48)
    concurrency = {name: c for name, c, _ in PLAN}
    figures: dict[str, dict[str, list[dict]]] = {v: {s: [] for s in SCENARIOS} for v in trees}
    try:
        for _ in range(args.rounds):
            for version, tree in trees.items():
                server = Server(url, secret=secret, root=tree)
                try:
                    plans = Scenarios(server.base, sizes).plans()
                    for name in SCENARIOS:
                        figures[version][name].append(measure(
                            server, plans, name, concurrency[name], args.seconds,
                            pages=read_only_pages(sizes).get(name, [])))
                finally:
                    server.stop()
    finally:
        drop(args.db, url)
    summary = {}
    print(f"\n{args.db}, {args.sites} sites, {args.rounds} rounds (the better of each): "
          f"before = {args.baseline}, after = this checkout")
    print(f"{'scenario':<24}{'CPU ms before':>14}{'after':>8}{'x healthz before':>18}"
          f"{'after':>8}{'req/s before':>14}{'after':>8}")
    best = {v: {s: min(figures[v][s], key=lambda r: r["server_cpu_ms"]) for s in SCENARIOS}
            for v in trees}
    for name in SCENARIOS:
        row = {}
        for version in trees:
            r, health = best[version][name], best[version]["healthz"]
            row[version] = {"server_cpu_ms": r["server_cpu_ms"], "rps": max(
                x["rps"] for x in figures[version][name]),
                "cpu_x_healthz": round(r["server_cpu_ms"] / health["server_cpu_ms"], 2),
                "sql_statements": r["sql_statements"]}
        summary[name] = row
        b, a = row["before"], row["after"]
        print(f"{name:<24}{b['server_cpu_ms']:>14}{a['server_cpu_ms']:>8}"
              f"{b['cpu_x_healthz']:>18}{a['cpu_x_healthz']:>8}{b['rps']:>14}{a['rps']:>8}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"compare-{time.strftime('%Y%m%d-%H%M%S')}-{args.db}-{args.sites}.json"
    path.write_text(json.dumps({"baseline": args.baseline, "database": args.db, "sizes": sizes,
                                "summary": summary, "runs": figures}, indent=2))
    print(f"Figures written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
