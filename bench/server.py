"""The benchmark's database and server: a fresh programme, and the app served as in production."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.seed import build

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("IMROC_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
                   capture_output=True, cwd=ROOT)
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


def server_env(url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
    env.update({"IMROC_DATABASE_URL": url, "IMROC_ENV": "production", "IMROC_SECRET_KEY": secret,
                "IMROC_COUNT_SQL": "true", "IMROC_LOG_LEVEL": "WARNING"})
    return env


class Server:
    """`imroc serve` as in production (this checkout's code, or the tree at `root`), with its
    processor time and peak memory read from /proc for the whole process tree (the workers
    too)."""

    def __init__(self, url: str, *, workers: int = 1, secret: str | None = None,
                 root: Path = ROOT) -> None:
        self.port = free_port()
        self.workers = workers
        # The same secret for every server of a run, so a session cookie works on each.
        env = server_env(url, secret or secrets.token_urlsafe(48))
        # The server's log goes to a file (a pipe nobody reads would fill and stop it).
        self.log = tempfile.NamedTemporaryFile(prefix="imroc-bench-server-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imroc.cli", "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--workers", str(workers)],
            env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise RuntimeError(f"the server did not become ready (its log: {self.log.name})")
        # Every worker must be up before anything is measured.
        for _ in range(100):
            if len(self.pids()) >= (1 if workers == 1 else workers + 1):
                break
            time.sleep(0.1)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The server process and its descendants (uvicorn's workers)."""
        found, queue = [], [self.proc.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    queue += [int(p) for p in task.read_text().split()]
                except OSError:
                    continue
        return found

    def cpu_seconds(self) -> float:
        """Processor time the server's processes have used so far (user and system)."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def peak_mb(self) -> float:
        """The largest peak resident memory of any of the server's processes."""
        peak = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)))
        return peak / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        if self.proc.returncode in (0, -signal.SIGTERM):  # kept only when something went wrong
            Path(self.log.name).unlink(missing_ok=True)
