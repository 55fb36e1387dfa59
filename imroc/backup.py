"""Backups: a consistent copy of the database and the files while the service runs, and
bringing one back.

SQLite is copied with its online backup API in a single step, which reads one snapshot:
writers carry on (WAL) and nothing half-written reaches the copy. PostgreSQL is copied by
`pg_dump` in its custom format (one snapshot too) and brought back by `pg_restore`. The copy
and the evidence files go into one archive (backup_archive.py); a bare database copy made by
an earlier version is still restored. A restore goes only into an empty database: this module
never overwrites data. Messages are plain English for the person at the command line;
BackupError carries them.
"""

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from imroc import backup_archive
from imroc.config import get_settings
from imroc.files import FileStore
from imroc.migrations_state import alembic_config, head_revision

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Where Debian and Ubuntu install the PostgreSQL client programs, newest version first.
PG_BIN_GLOBS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/libpq/bin"]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    revision: str | None  # the schema revision inside the copy
    size: int
    files: int = 0  # evidence files in the backup

    @property
    def behind_head(self) -> bool:
        return self.revision != head_revision()


def kind_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def find_tool(name: str) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore), or a plain error."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [Path(d) / name for pattern in PG_BIN_GLOBS for d in glob.glob(pattern)]
    candidates = [c for c in candidates if os.access(c, os.X_OK)]
    if candidates:
        return str(max(candidates, key=lambda c: [int(n) for n in re.findall(r"\d+", str(c))]))
    raise BackupError(f"{name} was not found. Install the PostgreSQL client programs "
                      "(Debian: apt-get install postgresql-client) or put them on the PATH.")


def sniff(path: Path) -> str:
    """What a backup file is: "sqlite" or "postgresql"; a plain error when it is neither."""
    if not path.exists():
        raise BackupError(f"There is no file at {path}.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    if backup_archive.looks_like_archive(head):
        try:
            return backup_archive.manifest(path)["database"]
        except backup_archive.ArchiveError as exc:
            raise BackupError(str(exc)) from None
    raise BackupError(f"{path} is not a backup made by 'imroc backup'.")


def _store(files_dir: Path | None) -> FileStore:
    return FileStore(files_dir if files_dir is not None else get_settings().files_dir)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False), env


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(args[0]).name} failed: " + " ".join(detail))
    return done.stdout


def _revision_in_sqlite(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
    return row[0] if row else None


def _revision_in_dump(path: Path) -> str | None:
    """The schema revision inside a pg_dump archive (its alembic_version data)."""
    listing = _run([find_tool("pg_restore"), "--list", str(path)])
    if "alembic_version" not in listing:
        return None
    sql = _run([find_tool("pg_restore"), "--data-only", "--table=alembic_version",
                "--file=-", str(path)])
    match = re.search(r"COPY \S*alembic_version .*? FROM stdin;\n(.*?)\n\\\.", sql, re.S)
    return match.group(1).strip() if match else None


def _prepare_target(dest: Path, overwrite: bool) -> Path:
    dest = dest.expanduser()
    if not dest.parent.is_dir():
        raise BackupError(f"The folder {dest.parent} does not exist.")
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} already exists. Choose another name, or add --overwrite "
                          "to replace it.")
    if dest.exists() and not dest.is_file():
        raise BackupError(f"{dest} is not a file.")
    return dest


def _temp_beside(dest: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    return Path(name)


def backup(url: str, dest: Path, *, overwrite: bool = False,
           files_dir: Path | None = None) -> Outcome:
    """Copy the database at `url` and the files directory (IMROC_FILES_DIR unless given)
    to the file `dest`, consistently, while others write.

    The database is copied first, then the files: every file a copied row names was stored
    before that row was committed, so it is there. The archive is written beside `dest` and
    renamed into place only when it is complete.
    """
    kind = kind_of(url)
    tool = find_tool("pg_dump") if kind == "postgresql" else None
    dest = _prepare_target(dest, overwrite)
    database, partial = _temp_beside(dest), _temp_beside(dest)
    try:
        if kind == "sqlite":
            revision = _backup_sqlite(_sqlite_file(url), database)
        else:
            conninfo, env = _libpq(url)
            _run([tool, "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={database}", f"--dbname={conninfo}"], env)
            revision = _revision_in_dump(database)
        if revision is None:
            raise BackupError("This database has no imroc schema (no alembic_version): "
                              "there is nothing to back up.")
        try:
            files = backup_archive.write(partial, kind=kind, revision=revision,
                                         database=database, store=_store(files_dir))
        except OSError as exc:
            raise BackupError(f"The files could not be copied ({exc.strerror or exc}). "
                              "Check the files directory (IMROC_FILES_DIR).") from None
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
    finally:
        database.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return Outcome(path=dest, kind=kind, revision=revision, size=dest.stat().st_size,
                   files=files)


def _backup_sqlite(source: Path, partial: Path) -> str | None:
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the whole copy is read inside one read transaction, so it is
        # one snapshot even while the service writes. Smaller steps would restart on every
        # write made meanwhile and could never finish under steady writing.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The copy failed SQLite's integrity check; the backup was not kept.")
    finally:
        dst.close()
        src.close()
    return _revision_in_sqlite(partial)


REFERENCE_TABLES = frozenset({"framework", "challenge", "challenge_descriptor", "scale_level",
                              "site_kind"})


def non_empty_tables(url: str) -> list[str]:
    """The tables of the database at `url` that hold rows (the schema's version and the
    readiness heartbeat aside)."""
    if kind_of(url) == "sqlite" and not _sqlite_file(url).exists():
        return []
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = [t for t in inspect(conn).get_table_names()
                     if t not in ("alembic_version", "heartbeat")]
            # People's data first, then the reference data `imroc seed framework` loads,
            # each alphabetically, so the message names what matters whatever the database.
            names.sort(key=lambda t: (t in REFERENCE_TABLES, t))
            return [t for t in names
                    if conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is not None]
    except SQLAlchemyError as exc:
        raise BackupError(f"Cannot read the target database: {exc.__class__.__name__}. "
                          "Check IMROC_DATABASE_URL, and create the database first.") from None
    finally:
        engine.dispose()


def _check_revision(revision: str | None) -> None:
    from alembic.script import ScriptDirectory

    if revision is None:
        raise BackupError("This file is not a backup made by 'imroc backup' (it has no "
                          "imroc schema in it).")
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        known = None
    if known is None:
        raise BackupError(f"This backup has schema revision {revision}, which this version of "
                          "imroc does not know: restore it with the version that made it.")


def restore(url: str, source: Path, *, files_dir: Path | None = None) -> Outcome:
    """Bring a backup back into the empty database at `url` (one that holds data is
    refused), and its files into the files directory (IMROC_FILES_DIR unless given), each
    checked against its SHA-256. The files go first: they only add to the directory, so a
    damaged one stops the restore before the database is touched."""
    source = source.expanduser()
    backup_kind = sniff(source)
    kind = kind_of(url)
    if backup_kind != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"This is a {names[backup_kind]} backup, but the database to restore "
                          f"into is {names[kind]}. Restore it into a {names[backup_kind]} "
                          "database.")
    tool = find_tool("pg_restore") if kind == "postgresql" else None
    with source.open("rb") as fh:
        archived = backup_archive.looks_like_archive(fh.read(512))
    try:
        with backup_archive.database_copy(source) if archived else nullcontext(source) as db:
            revision = _revision_in_sqlite(db) if kind == "sqlite" else _revision_in_dump(db)
            _check_revision(revision)
            _ensure_empty(url)
            files = backup_archive.restore_files(source, _store(files_dir)) if archived else 0
            if kind == "sqlite":
                _restore_sqlite(db, _sqlite_file(url))
            else:
                conninfo, env = _libpq(url)
                # --clean --if-exists drops an empty schema made by 'imroc db upgrade' first.
                _run([tool, "--no-owner", "--no-privileges", "--single-transaction",
                      "--exit-on-error", "--clean", "--if-exists", f"--dbname={conninfo}",
                      str(db)], env)
    except backup_archive.ArchiveError as exc:
        raise BackupError(str(exc)) from None
    return Outcome(path=source, kind=kind, revision=revision, size=source.stat().st_size,
                   files=files)


def _ensure_empty(url: str) -> None:
    full = non_empty_tables(url)
    if full:
        shown = ", ".join(full[:5]) + (" and others" if len(full) > 5 else "")
        raise BackupError("The database to restore into is not empty (it has rows in "
                          f"{shown}). Restore only into an empty database: create a new one "
                          "and point IMROC_DATABASE_URL (or --database-url) at it.")


def _restore_sqlite(source: Path, target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            sound = src.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:  # too damaged for the check itself to run
            sound = False
        if not sound:
            raise BackupError(f"{source} is damaged (it fails SQLite's integrity check).")
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
