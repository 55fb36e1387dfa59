"""Backups: a copy made while another thread writes restores every committed row, consistently;
restore refuses a database that holds data; the command line explains every refusal."""

import secrets
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import and_, create_engine, func, select, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from imroc import backup
from imroc.cli.app import app
from imroc.db import write_session
from imroc.migrations_state import head_revision
from imroc.models import LearningSet, Site
from imroc.models.base import metadata
from tests.conftest import BACKEND, DATABASE_URL, PG_ADMIN_URL

runner = CliRunner()


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of a brand-new empty database of the suite's kind (dropped afterwards)."""
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"imroc_restore_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Writer(threading.Thread):
    """Commits a learning set and a site that belongs to it, one pair per transaction,
    until told to stop; records each pair once its commit has returned."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.committed: list[tuple[int, int]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.progress = threading.Condition(self.lock)

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                with write_session() as s:
                    ls = LearningSet(name=f"Backup set {n}")
                    s.add(ls)
                    s.flush()
                    site = Site(name=f"Backup site {n}", kind="pilot", learning_set_id=ls.id)
                    s.add(site)
                    s.commit()
                    pair = (ls.id, site.id)
                with self.progress:
                    self.committed.append(pair)
                    self.progress.notify_all()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> list[tuple[int, int]]:
        """Wait until `count` pairs are committed; returns a copy of all committed so far."""
        with self.progress:
            assert self.progress.wait_for(
                lambda: len(self.committed) >= count or self.error, timeout=120)
            assert self.error is None, self.error
            return list(self.committed)


def orphans(url: str) -> dict[str, int]:
    """Rows whose foreign key points at nothing, per constraint (every table of the schema)."""
    found: dict[str, int] = {}
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table.alias()
                pairs = [(e.parent, parent.c[e.column.name]) for e in fk.elements]
                count = conn.execute(
                    select(func.count()).select_from(
                        table.outerjoin(parent, and_(*[c == p for c, p in pairs])))
                    .where(and_(*[c.is_not(None) for c, _ in pairs]),
                           pairs[0][1].is_(None))).scalar()
                if count:
                    found[f"{table.name}.{fk.name}"] = count
    engine.dispose()
    return found


def read(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql)).all()]
    engine.dispose()
    return rows


def test_backup_while_writing_restores_every_committed_row(tmp_path, fresh_database):
    writer = Writer()
    writer.start()
    try:
        before = writer.wait_for(20)  # committed before the backup starts
        done = backup.backup(DATABASE_URL, tmp_path / "imroc.backup")
        after = writer.wait_for(len(before) + 20)  # the writer carried on throughout
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert done.revision == head_revision() and done.size > 0
    assert backup.sniff(done.path) == ("postgresql" if BACKEND == "postgres" else "sqlite")

    restored = backup.restore(fresh_database, done.path)
    assert restored.revision == head_revision() and not restored.behind_head
    sites = set(read(fresh_database, "SELECT learning_set_id, id FROM site "
                                      "WHERE name LIKE 'Backup site %'"))
    sets = {r[0] for r in read(fresh_database, "SELECT id FROM learning_set "
                                               "WHERE name LIKE 'Backup set %'")}
    # Everything committed before the backup began is there...
    assert set(before) <= sites
    # ...and the copy is one consistent moment: only committed pairs, each whole.
    assert sites <= set(writer.committed)
    assert sets == {ls for ls, _ in sites}
    assert len(sites) >= len(before) and len(writer.committed) >= len(after)
    assert orphans(fresh_database) == {}
    assert read(fresh_database, "SELECT version_num FROM alembic_version") == \
        [(head_revision(),)]
    # The reference data came too, and the restored database takes new rows after the old.
    assert read(fresh_database, "SELECT count(*) FROM framework")[0][0] >= 1
    if BACKEND == "sqlite":
        path = fresh_database.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    engine = create_engine(fresh_database, poolclass=NullPool)
    with engine.begin() as conn:
        new_id = conn.execute(text("INSERT INTO learning_set (name, region, version, created_at,"
                                   " updated_at) VALUES ('After restore', '', 1, "
                                   "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id")).scalar()
    engine.dispose()
    assert new_id > max(ls for ls, _ in sites)


def test_restore_refuses_a_database_that_holds_data(tmp_path, session):
    done = backup.backup(DATABASE_URL, tmp_path / "copy.backup")
    session.add(LearningSet(name="Must survive"))
    session.commit()
    before = read(DATABASE_URL, "SELECT count(*) FROM learning_set")
    with pytest.raises(backup.BackupError, match="not empty") as refused:
        backup.restore(DATABASE_URL, done.path)
    assert "learning_set" in str(refused.value)
    assert read(DATABASE_URL, "SELECT count(*) FROM learning_set") == before
    result = runner.invoke(app, ["restore", str(done.path)])
    assert result.exit_code == 1
    assert "Error: The database to restore into is not empty" in result.output
    assert read(DATABASE_URL, "SELECT count(*) FROM learning_set") == before


def test_restore_goes_into_a_migrated_but_empty_database(tmp_path, fresh_database,
                                                         monkeypatch):
    from alembic import command

    from imroc.config import get_settings
    from imroc.migrations_state import alembic_config

    done = backup.backup(DATABASE_URL, tmp_path / "copy.backup")
    monkeypatch.setenv("IMROC_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    try:
        command.upgrade(alembic_config(), "head")  # tables, but no rows: still empty
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert backup.non_empty_tables(fresh_database) == []
    result = runner.invoke(app, ["restore", str(done.path), "--database-url", fresh_database])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert read(fresh_database, "SELECT count(*) FROM site_kind")[0][0] == \
        read(DATABASE_URL, "SELECT count(*) FROM site_kind")[0][0] > 0


def test_backup_command_writes_a_file_and_will_not_overwrite_one(tmp_path):
    target = tmp_path / "nightly.backup"
    first = runner.invoke(app, ["backup", str(target)])
    assert first.exit_code == 0, first.output
    assert f"Backed up the {'postgresql' if BACKEND == 'postgres' else 'sqlite'} database" \
        in first.output
    size = target.stat().st_size
    again = runner.invoke(app, ["backup", str(target)])
    assert again.exit_code == 1
    assert "already exists. Choose another name, or add --overwrite" in again.output
    assert target.stat().st_size == size
    assert runner.invoke(app, ["backup", str(target), "--overwrite"]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["nightly.backup"]  # no partial files left
    missing_dir = runner.invoke(app, ["backup", str(tmp_path / "no" / "such.backup")])
    assert missing_dir.exit_code == 1 and "does not exist" in missing_dir.output


@pytest.mark.parametrize(("content", "message"), [
    (None, "There is no file at"),
    (b"name,level\nSite A,2\n", "is not a backup made by 'imroc backup'"),
    (b"", "is not a backup made by 'imroc backup'"),
])
def test_restore_explains_a_missing_file_or_one_that_is_not_a_backup(tmp_path, content,
                                                                     message):
    path = tmp_path / "maybe.backup"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output


def test_restore_refuses_a_database_file_that_is_not_ours(tmp_path, fresh_database):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    result = runner.invoke(app, ["restore", str(other), "--database-url",
                                 f"sqlite:///{tmp_path / 'target.db'}"])
    assert result.exit_code == 1
    assert "not a backup made by 'imroc backup'" in result.output
    assert not (tmp_path / "target.db").exists()


def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path):
    dump = tmp_path / "pg.backup"
    dump.write_bytes(backup.PGDUMP_MAGIC + b"\x01\x0e\x00")
    result = runner.invoke(app, ["restore", str(dump), "--database-url",
                                 f"sqlite:///{tmp_path / 'target.db'}"])
    assert result.exit_code == 1
    assert "This is a PostgreSQL backup, but the database to restore into is SQLite" \
        in result.output


def test_missing_pg_dump_is_a_plain_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup, "PG_BIN_GLOBS", [])
    url = "postgresql+psycopg://nobody@127.0.0.1:9/nothing"
    result = runner.invoke(app, ["backup", str(tmp_path / "x.backup"), "--database-url", url])
    assert result.exit_code == 1
    assert "Error: pg_dump was not found. Install the PostgreSQL client programs" \
        in result.output
    assert not (tmp_path / "x.backup").exists()
    dump = tmp_path / "pg.backup"
    dump.write_bytes(backup.PGDUMP_MAGIC + b"\x01\x0e\x00")
    result = runner.invoke(app, ["restore", str(dump), "--database-url", url])
    assert result.exit_code == 1 and "Error: pg_restore was not found" in result.output


def test_pg_tools_are_found_outside_the_path(tmp_path, monkeypatch):
    for version in ("9", "15", "16"):
        tool = tmp_path / "pg" / version / "bin" / "pg_dump"
        tool.parent.mkdir(parents=True)
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(backup, "PG_BIN_GLOBS", [str(tmp_path / "pg" / "*" / "bin")])
    assert backup.find_tool("pg_dump") == str(tmp_path / "pg" / "16" / "bin" / "pg_dump")


def test_a_database_in_memory_cannot_be_backed_up(tmp_path):
    result = runner.invoke(app, ["backup", str(tmp_path / "x.backup"), "--database-url",
                                 "sqlite://"])
    assert result.exit_code == 1 and "Only a SQLite database in a file" in result.output
    assert list(Path(tmp_path).iterdir()) == []


def test_messages_are_plain_text_even_with_brackets_in_the_path(tmp_path):
    odd = tmp_path / "[bold red]not markup [link=x]"
    odd.mkdir()
    result = runner.invoke(app, ["restore", str(odd / "x.backup")])
    assert result.exit_code == 1
    assert f"Error: There is no file at {odd / 'x.backup'}." in result.output


def _sqlite_file(path: Path, revision: str | None, rows: int = 0) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO note (body) VALUES (?)", [("x" * 200,)] * rows)
    if revision is not None:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(("revision", "damage", "words"), [
    (None, False, "not a backup made by 'imroc backup'"),
    ("0123456789ab", False, "which this version of imroc does not know"),
    ("HEAD", True, "is damaged"),
])
def test_restore_refuses_what_it_cannot_trust(tmp_path, revision, damage, words):
    source = _sqlite_file(tmp_path / "copy.backup",
                          head_revision() if revision == "HEAD" else revision, rows=400)
    if damage:
        with source.open("r+b") as fh:  # keep the header, scramble pages in the middle
            fh.seek(4096 * 3)
            fh.write(b"\xff" * 4096 * 4)
    target = tmp_path / "target.db"
    with pytest.raises(backup.BackupError, match=words):
        backup.restore(f"sqlite:///{target}", source)
    assert not target.exists() or target.stat().st_size == 0
