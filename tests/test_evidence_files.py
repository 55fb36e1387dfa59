"""The files directory: content kept once under its SHA-256, written whole or not at all, and
`imroc files prune` clearing what no evidence names any more."""

import io
import os
import time

import pytest
from typer.testing import CliRunner

from imroc.cli.app import app as cli
from imroc.files import FileStore, FileTooLarge, default_store
from tests import evidence_samples as sample
from tests.core_loop import API, ok, open_cycle

runner = CliRunner()
DAY = 24 * 3600


def test_content_is_kept_once_and_nothing_over_the_limit_is_left_behind(tmp_path):
    store = FileStore(tmp_path / "files")
    with store.staging(io.BytesIO(b"abc"), max_bytes=3) as staged:
        first = staged.keep()
    with store.staging(io.BytesIO(b"abc"), max_bytes=3) as staged:
        assert staged.keep() == first
    assert first.read_bytes() == b"abc" and first.parent.name == first.name[:2]
    with pytest.raises(FileTooLarge), store.staging(io.BytesIO(b"abcd"), max_bytes=3):
        pass
    with store.staging(io.BytesIO(b"dropped"), max_bytes=100):
        pass  # never kept
    assert [sha for sha, _ in store.all_files()] == [first.name]
    assert list((store.root / "tmp").iterdir()) == []
    with pytest.raises(ValueError):
        store.path_of("../../etc/passwd")


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_prune_removes_only_old_files_that_no_evidence_names(client, w):
    lead = w.h["lead"]
    cid = open_cycle(client, lead, w.site_a.id)["id"]

    def attach(name: str, content: bytes) -> dict:
        return ok(client.post(f"{API}/cycles/{cid}/evidence", headers=lead,
                              data={"attached_to": "pdsa"},
                              files={"file": (name, content, "text/csv")}), 201)

    kept = attach("kept.csv", sample.CSV + b"kept,1\n")
    mistake = attach("mistake.csv", sample.CSV + b"mistake,1\n")
    fresh = attach("fresh.csv", sample.CSV + b"fresh,1\n")
    for piece in (mistake, fresh):
        ok(client.delete(f"{API}/evidence/{piece['id']}", headers=lead), 204)
    store = default_store()
    for piece in (kept, mistake):
        _age(store.path_of(piece["sha256"]), 2 * DAY)
    stale = store.root / "tmp" / "upload-stale.partial"
    stale.write_bytes(b"half an upload")
    _age(stale, 2 * DAY)

    looked = runner.invoke(cli, ["files", "prune", "--dry-run"])
    assert looked.exit_code == 0, looked.output
    assert mistake["sha256"] in looked.output and "Would remove" in looked.output
    assert store.exists(mistake["sha256"]) and stale.exists()

    done = runner.invoke(cli, ["files", "prune"])
    assert done.exit_code == 0, done.output
    assert "and 1 unfinished upload from" in done.output
    assert not store.exists(mistake["sha256"]) and not stale.exists()
    assert store.exists(kept["sha256"])  # named by evidence
    assert store.exists(fresh["sha256"])  # removed from evidence today: kept for a day
    got = client.get(f"{API}/evidence/{kept['id']}", headers=lead)
    assert got.content == sample.CSV + b"kept,1\n"
    # The same content added again is stored afresh.
    again = attach("mistake again.csv", sample.CSV + b"mistake,1\n")
    assert again["sha256"] == mistake["sha256"] and store.exists(mistake["sha256"])
