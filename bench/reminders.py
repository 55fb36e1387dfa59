"""How long `imroc reminders send` takes for the 500-site programme, on SQLite or PostgreSQL.

The first run writes every reminder that is due and sends it to a real SMTP server on
loopback; the second finds nothing new (each reminder is written once). Both are timed as
whole commands, as cron would run them.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.server import drop, prepare

ROOT = Path(__file__).resolve().parent.parent


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(db: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url, seeded, counts = prepare(db, Path(tmp), {})
        counter, port = Counter(), free_port()
        smtp = Controller(counter, hostname="127.0.0.1", port=port)
        smtp.start()
        env = {**os.environ, "IMROC_DATABASE_URL": url, "IMROC_SMTP_URL": f"smtp://127.0.0.1:{port}"}
        timings = []
        try:
            for _ in range(2):
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "imroc.cli", "reminders", "send"],
                                      env=env, cwd=ROOT, capture_output=True, text=True)
                timings.append(round(time.perf_counter() - started, 2))
                if done.returncode != 0:
                    raise SystemExit(done.stdout + done.stderr)
                last = " ".join(done.stdout.split())
        finally:
            smtp.stop()
            drop(db, url)
        return {"db": db, "sites": counts.get("site"), "first_run_s": timings[0],
                "second_run_s": timings[1], "messages_received": counter.count,
                "second_run_said": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args()
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(json.dumps(run(db)))


if __name__ == "__main__":
    main()
