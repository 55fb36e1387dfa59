"""An import killed outright (SIGKILL) in the middle of writing leaves the database exactly
as it was: no half-imported sites or cycles, a sound database, and the same file imports
cleanly afterwards."""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import BACKEND

SITES, CYCLES = 500, 6
TABLES = ("site", "cycle", "consensus_score", "audit_event")


def programme_zip() -> bytes:
    """Sites and six cycles of agreed levels each: enough to take seconds to write."""
    sites = "Site,Kind of site,Region\r\n" + "".join(
        f"Imported site {n:03d},pilot,North\r\n" for n in range(SITES))
    consensus = "Site,Cycle,Cycle started on,Challenge,Agreed level\r\n" + "".join(
        f"Imported site {n:03d},{c},20{18 + c}-01-09,{ch},{min(3, c // 2)}\r\n"
        for n in range(SITES) for c in range(1, CYCLES + 1) for ch in range(1, 11))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sites.csv", sites)
        zf.writestr("consensus.csv", consensus)
    return buffer.getvalue()


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in TABLES}


def writing(engine, url: str) -> bool:
    """Whether another connection holds an open write transaction right now."""
    if BACKEND == "postgres":
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")).scalar_one() > 0
    import sqlite3

    probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:  # "database is locked": the import is writing
        return True
    finally:
        probe.close()


def run_import(url: str, path: Path) -> subprocess.Popen:
    env = {**os.environ, "IMROC_DATABASE_URL": url, "IMROC_ENV": "test"}
    return subprocess.Popen([sys.executable, "-m", "imroc.cli", "import", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_an_import_killed_while_writing_leaves_nothing_behind(tmp_path, database):
    database_url = database
    path = tmp_path / "programme.zip"
    path.write_bytes(programme_zip())
    engine = create_engine(database_url)
    before = counts(engine)
    process = run_import(database_url, path)
    try:
        deadline = time.monotonic() + 120
        while not writing(engine, database_url):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.02)
        time.sleep(0.1)  # into the writing
        assert process.poll() is None, "the import finished before it could be stopped"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert counts(engine) == before
    if BACKEND == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    # The lock died with the process: the same file now imports, whole.
    again = run_import(database_url, path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    after = counts(engine)
    assert after["site"] == before["site"] + SITES
    assert after["cycle"] == before["cycle"] + SITES * CYCLES
    assert after["consensus_score"] == before["consensus_score"] + SITES * CYCLES * 10
    engine.dispose()
