"""Where a kept page's time goes: cProfile over many requests to the app, in this process.

    python -m bench.profile_page [--db sqlite|postgres] [--sites 500] [--path /sites/1/dashboard]

Builds the benchmark programme, signs in the programme team and sends the app the same
request many times straight through ASGI (no network). Work the server hands to its thread
pool runs inline here, so one profile sees all of it; each hand-over is counted as a call of
`run_sync`. Prints (and with --out writes) the top entries by own and cumulative time, and
the app's processor time per request for the page and for /healthz without the profiler.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

import anyio.to_thread

from bench.server import drop, prepare


async def _inline(func, *args, abandon_on_cancel=False, cancellable=None, limiter=None):
    return func(*args)


def request(app, path: str, headers: dict[str, str], method: str = "GET", body: bytes = b""):
    """One request through the app; returns it to await, and the messages it sent."""
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1:8000")] + [
                 (k.lower().encode(), v.encode()) for k, v in headers.items()]}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    async def main():
        await app(scope, receive, send)

    return main, sent


def sizes_cycles(args: argparse.Namespace) -> int:
    """The open cycle of site 1 (its last; ids follow the seeding order)."""
    return 6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--path", default="/sites/1/dashboard")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--gzip", action="store_true", help="ask for a gzipped answer")
    parser.add_argument("--save", action="store_true",
                        help="profile a rating save (PUT of ten ratings by a rater's token) "
                             "instead of --path")
    parser.add_argument("--cold", action="store_true",
                        help="nothing kept: every request is a first visit after a change")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed rounds (the fastest counts: the machine is shared)")
    parser.add_argument("--out", type=Path, help="write the report here")
    parser.add_argument("--dump", type=Path, help="write the raw profile here (pstats)")
    args = parser.parse_args()
    sizes = {"sites": args.sites, "sets": max(1, args.sites // 10), "cycles": 6, "raters": 8,
             "actions": 5}
    url, _, _ = prepare(args.db, Path(tempfile.mkdtemp(prefix="imroc-profile-")), sizes)
    try:
        return profile(args, url)
    finally:
        from imroc.db import get_engine

        get_engine().dispose()
        drop(args.db, url)


def profile(args: argparse.Namespace, url: str) -> int:
    os.environ.update({"IMROC_DATABASE_URL": url, "IMROC_ENV": "production",
                       "IMROC_SECRET_KEY": secrets.token_urlsafe(48), "IMROC_COUNT_SQL": "true",
                       "IMROC_LOG_LEVEL": "WARNING"})
    from imroc.config import get_settings

    get_settings.cache_clear()
    from sqlmodel import select

    from imroc.db import write_session
    from imroc.main import create_app, tune_process
    from imroc.models import User
    from imroc.services import auth
    from imroc.web.page_cache import BODIES

    app = create_app()
    tune_process()
    with write_session() as session:
        email = "s1.r2@bench.example" if args.save else "programme@bench.example"
        user = session.exec(select(User).where(User.email == email)).one()
        token, _ = auth.start_session(session, user=user, kind=auth.API if args.save
                                      else auth.BROWSER)
    method = "GET"
    if args.save:  # the rater's open cycle (ids follow the seeding order)
        args.path, method = f"/api/v1/cycles/{sizes_cycles(args)}/ratings", "PUT"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    else:
        headers = {"Cookie": f"imroc_session={token}"}
    if args.gzip:
        headers["Accept-Encoding"] = "gzip, deflate, br"
    anyio.to_thread.run_sync = _inline  # one thread: the profile sees every part

    def many(path: str, count: int, hdrs: dict[str, str]) -> list[dict]:
        async def loop():
            for n in range(count):
                if args.cold:
                    BODIES.clear()
                page = path == args.path
                payload = json.dumps({"ratings": [
                    {"challenge": c, "level": (n + c) % 4, "comment": "profile"}
                    for c in range(1, 11)]}).encode() if page and args.save else b""
                call, sent = request(app, path, hdrs, method if page else "GET", payload)
                await call()
                assert sent[0]["status"] == 200, (path, sent[0]["status"])
            return sent
        return asyncio.run(loop())

    sent = many(args.path, 20, headers)  # first visits build what is kept
    size = sum(len(m.get("body", b"")) for m in sent)
    per = {"healthz": float("inf"), "page": float("inf")}
    for _ in range(args.rounds):
        for label, path, hdrs in (("healthz", "/healthz", {}), ("page", args.path, headers)):
            started = time.process_time()
            many(path, args.requests, hdrs)
            per[label] = min(per[label], (time.process_time() - started) * 1000 / args.requests)
    if args.top == 0:
        print(f"{args.path}: page {per['page']:.3f} ms, /healthz {per['healthz']:.3f} ms "
              f"(x{per['page'] / per['healthz']:.2f})")
        return 0
    profiler = cProfile.Profile()
    profiler.enable()
    many(args.path, args.requests, headers)
    profiler.disable()
    if args.dump:
        profiler.dump_stats(args.dump)
    out = io.StringIO()
    out.write(f"{method} {args.path}{' (nothing kept)' if args.cold else ''} on {args.db}, "
              f"{args.sites} sites, {args.requests} requests, "
              f"{size} bytes{' gzipped' if args.gzip else ''}; in-process processor time per "
              f"request without the profiler: page {per['page']:.3f} ms, /healthz "
              f"{per['healthz']:.3f} ms (x{per['page'] / per['healthz']:.2f})\n\n")
    for order in ("tottime", "cumulative"):
        out.write(f"--- top {args.top} by {order} ---\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
    text = out.getvalue()
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
