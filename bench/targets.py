"""The targets of `make bench` (issue 18), each a ratio to /healthz in the same run (or a count),
checked against the run's figures: target, measured, met."""

# (SQLite, PostgreSQL) limits.
KEPT_PAGE_CPU = {"sqlite": 2.8, "postgres": 3.4}  # x /healthz processor time per request
COLD_OVER_KEPT = 3.0  # a page's first visit after a change, x its kept visit
SAVE_STATEMENTS = 6
SAVE_THROUGHPUT = {"sqlite": 0.27, "postgres": 0.2}  # x /healthz requests/s, 16 clients
MIXED_P95 = {"sqlite": 20.0, "postgres": 21.0}  # x /healthz p95
KEPT_PAGES = ("site_dashboard", "learning_set_dashboard", "programme_comparison")


def _row(target: str, measured: float | int | None, limit: float, at_most: bool,
         detail: str = "") -> dict:
    met = measured is not None and (measured <= limit if at_most else measured >= limit)
    return {"target": target, "limit": f"{'<=' if at_most else '>='} {limit:g}",
            "measured": measured, "met": met, "detail": detail}


def check(results: dict) -> list[dict]:
    """Every target with what this run measured and whether it was met."""
    db = results["database"]
    s = results["scenarios"]
    health = s["healthz"]
    rows = []
    for name in KEPT_PAGES:
        page = s[name]
        ratio = round(page["server_cpu_ms"] / health["server_cpu_ms"], 2) \
            if health["server_cpu_ms"] else None
        rows.append(_row(f"{name}, kept: processor time x /healthz", ratio, KEPT_PAGE_CPU[db],
                         True, f"{page['server_cpu_ms']} ms vs {health['server_cpu_ms']} ms"))
    for name in KEPT_PAGES:
        cold = results["cold"][name]
        ratio = round(cold["server_cpu_ms"] / s[name]["server_cpu_ms"], 2) \
            if s[name]["server_cpu_ms"] else None
        rows.append(_row(f"{name}, first visit after a change: x kept", ratio, COLD_OVER_KEPT,
                         True, f"{cold['server_cpu_ms']} ms vs {s[name]['server_cpu_ms']} ms"))
    save = s["rating_save"]
    statements = save["sql_statements"]
    most = max(statements) if isinstance(statements, list) and statements else statements
    rows.append(_row("rating save: SQL statements", most if most != [] else None,
                     SAVE_STATEMENTS, True))
    ratio = round(save["rps"] / health["rps"], 3) if health["rps"] else None
    rows.append(_row("rating save, 16 clients: requests/s x /healthz", ratio,
                     SAVE_THROUGHPUT[db], False, f"{save['rps']}/s vs {health['rps']}/s"))
    rows.append(_row("rating save: errors", save["errors"], 0, True))
    rows.append(_row("rating save: lost (read back)", results["rating_read_back"]["lost"], 0,
                     True, f"{results['rating_read_back']['raters_read_back']} raters read"))
    mixed = s["mixed_50rps"]
    ratio = round(mixed["p95_ms"] / health["p95_ms"], 2) if health["p95_ms"] else None
    rows.append(_row("mixed traffic at 50 req/s: p95 x /healthz p95", ratio, MIXED_P95[db],
                     True, f"{mixed['p95_ms']} ms vs {health['p95_ms']} ms"))
    rows.append(_row("mixed traffic: errors", mixed["errors"], 0, True))
    cookie = s["healthz_with_cookie"]["sql_statements"]
    rows.append(_row("/healthz with a session cookie: SQL statements",
                     cookie if isinstance(cookie, int) else max(cookie or [-1]), 0, True))
    return rows


def table(rows: list[dict]) -> str:
    width = max(len(r["target"]) for r in rows) + 2
    lines = [f"{'target':<{width}}{'limit':>9}{'measured':>10}  met   detail"]
    for r in rows:
        lines.append(f"{r['target']:<{width}}{r['limit']:>9}{str(r['measured']):>10}  "
                     f"{'yes' if r['met'] else 'NO ':<5} {r['detail']}")
    missed = [r["target"] for r in rows if not r["met"]]
    lines.append(f"MISSED: {len(missed)} target(s): " + "; ".join(missed) if missed
                 else "All targets met.")
    return "\n".join(lines)
