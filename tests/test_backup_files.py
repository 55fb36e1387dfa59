"""Backups carry the evidence files: backup, an empty database and files directory, restore,
and every file downloads with the same bytes; older database-only backups still restore; a
damaged file stops a restore before the database is touched."""

import hashlib
import io
import sqlite3
import tarfile

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from imroc import backup
from imroc.cli.app import app as cli
from imroc.config import get_settings
from imroc.files import FileStore
from tests import evidence_samples as sample
from tests.conftest import BACKEND, DATABASE_URL
from tests.core_loop import API, ok, open_cycle
from tests.factories import api_token
from tests.test_backup import fresh_database  # noqa: F401  (a fixture)

runner = CliRunner()


def _attach(client, w) -> list[dict]:
    lead = w.h["lead"]
    cid = open_cycle(client, lead, w.site_a.id)["id"]
    pieces = [("minutes.pdf", sample.PDF + b"% backup\n", "consensus"),
              ("ward.png", sample.png(3, 2), "pdsa"),
              ("copy of minutes.pdf", sample.PDF + b"% backup\n", "pdsa")]
    out = []
    for name, content, kind in pieces:
        fields = {"attached_to": kind, **({"challenge": "1"} if kind == "consensus" else {})}
        body = ok(client.post(f"{API}/cycles/{cid}/evidence", headers=lead, data=fields,
                              files={"file": (name, content, "application/pdf")}), 201)
        out.append({**body, "content": content})
    return out


def _serving(monkeypatch, url: str, files_dir) -> TestClient:
    """The app as it would run on the restored database and files directory."""
    monkeypatch.setenv("IMROC_DATABASE_URL", url)
    monkeypatch.setenv("IMROC_FILES_DIR", str(files_dir))
    get_settings.cache_clear()
    from imroc.main import create_app

    return TestClient(create_app(), base_url="https://testserver")


def test_backup_wipe_restore_and_every_file_downloads_the_same(client, w, tmp_path,
                                                               fresh_database,  # noqa: F811
                                                               monkeypatch):
    attached = _attach(client, w)
    assert attached[0]["sha256"] == attached[2]["sha256"]  # one file for both
    done = backup.backup(DATABASE_URL, tmp_path / "nightly.backup")
    with tarfile.open(done.path) as tar:
        names = tar.getnames()
    assert names[:2] == ["imroc-backup.json", "database"]
    for piece in attached:
        assert f"files/{piece['sha256'][:2]}/{piece['sha256']}" in names
    assert done.files == len(names) - 2 and done.files >= 2
    assert backup.sniff(done.path) == ("postgresql" if BACKEND == "postgres" else "sqlite")

    restored_files = tmp_path / "restored-files"  # the new machine's empty directory
    result = runner.invoke(cli, ["restore", str(done.path), "--database-url", fresh_database,
                                 "--files-dir", str(restored_files)])
    assert result.exit_code == 0, result.output
    assert f"and {done.files} evidence files." in result.output
    store = FileStore(restored_files)
    assert {sha for sha, _ in store.all_files()} >= {p["sha256"] for p in attached}

    from imroc.db import _engine_for
    try:
        with _serving(monkeypatch, fresh_database, restored_files) as restored:
            lead = api_token(restored, w.lead)
            listed = ok(restored.get(f"{API}/cycles/{attached[0]['cycle_id']}/evidence",
                                     headers=lead))
            assert [(e["name"], e["sha256"]) for e in listed] == \
                [(p["name"], p["sha256"]) for p in attached]
            for piece in attached:
                got = restored.get(f"{API}/evidence/{piece['id']}", headers=lead)
                assert got.status_code == 200 and got.content == piece["content"]
                assert hashlib.sha256(got.content).hexdigest() == piece["sha256"]
                assert got.headers["content-type"] == piece["content_type"]
    finally:
        _engine_for(fresh_database).dispose()
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_backup_command_counts_the_files(client, w, tmp_path):
    _attach(client, w)
    result = runner.invoke(cli, ["backup", str(tmp_path / "copy.backup")])
    assert result.exit_code == 0, result.output
    assert "database and " in result.output and " evidence files to " in result.output
    empty = tmp_path / "no-files"
    result = runner.invoke(cli, ["backup", str(tmp_path / "bare.backup"), "--files-dir",
                                 str(empty)])
    assert result.exit_code == 0 and "and 0 evidence files to" in result.output


@pytest.mark.skipif(BACKEND != "sqlite", reason="a bare SQLite copy, as earlier versions made")
def test_a_database_only_backup_from_before_files_still_restores(tmp_path, fresh_database):  # noqa: F811
    old = tmp_path / "old.backup"
    source = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"))
    target = sqlite3.connect(old)
    source.backup(target)
    target.close()
    source.close()
    done = backup.restore(fresh_database, old, files_dir=tmp_path / "files")
    assert done.files == 0 and backup.sniff(old) == "sqlite"
    assert not (tmp_path / "files").exists()


def test_a_damaged_file_stops_the_restore_before_the_database(client, w, tmp_path,
                                                              fresh_database):  # noqa: F811
    _attach(client, w)
    done = backup.backup(DATABASE_URL, tmp_path / "copy.backup")
    damaged = tmp_path / "damaged.backup"
    with tarfile.open(done.path) as src, tarfile.open(damaged, "w") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit changed
            out.addfile(member, io.BytesIO(data))
    result = runner.invoke(cli, ["restore", str(damaged), "--database-url", fresh_database,
                                 "--files-dir", str(tmp_path / "files")])
    assert result.exit_code == 1
    assert "Error: A file in the backup is damaged" in result.output
    assert backup.non_empty_tables(fresh_database) == []


def test_an_archive_that_is_not_ours_is_refused(tmp_path):
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    result = runner.invoke(cli, ["restore", str(other), "--database-url",
                                 f"sqlite:///{tmp_path / 'target.db'}"])
    assert result.exit_code == 1 and "is not a backup made by 'imroc backup'" in result.output
    assert not (tmp_path / "target.db").exists()
