"""`imroc export` and `imroc import`: files written, dry runs, plain errors and exit codes."""

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from imroc.cli.app import app
from imroc.models import ConsensusScore, Cycle, Site, User
from tests.checks import counts
from tests.data_history import empty_database

pytestmark = pytest.mark.with_history  # the `world` fixture brings past cycles

runner = CliRunner()
TABLES = (Site, User, Cycle, ConsensusScore)



def invoke(*args: str):
    result = runner.invoke(app, list(args))
    result.words = " ".join(result.output.split())  # Rich wraps long lines
    return result


def test_export_the_programme_as_xlsx(tmp_path, world):
    out = tmp_path / "all.xlsx"
    result = invoke("export", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 14 rows" in result.words
    book = load_workbook(out)
    assert [c.value for c in book["Sites"]["A"]] == ["Site", "Site A", "Site B"]
    # The command line names raters (it acts for an administrator).
    assert {c.value for c in book["Ratings"]["D"][1:]} == {world.member.email, world.lead.email}


def test_export_one_table_as_csv_and_a_site_as_json(tmp_path, world):
    out = tmp_path / "ratings.csv"
    result = invoke("export", "--site", str(world.site_a.id), "--format", "csv", "--table",
                    "ratings", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Site,Cycle,")
    doc_file = tmp_path / "site.json"
    result = invoke("export", "--site", str(world.site_a.id), "--format", "json", "-o",
                    str(doc_file))
    assert result.exit_code == 0, result.output
    assert json.loads(doc_file.read_text())["site"]["name"] == "Site A"


def test_export_then_import_with_a_dry_run_first(tmp_path, world):
    out = tmp_path / "site.json"
    assert invoke("export", "--site", str(world.site_a.id), "--format", "json", "-o",
                  str(out)).exit_code == 0
    empty_database()
    before = counts(TABLES)
    dry = invoke("import", str(out), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "No problems found" in dry.words and "Nothing was changed" in dry.words
    assert "Site A: Site A is a new site" in dry.words
    assert counts(TABLES) == before
    real = invoke("import", str(out))
    assert real.exit_code == 0, real.output
    assert "Imported 1 new site, 2 cycles, 3 ratings, 3 agreed levels, 1 priority, 3 actions" in real.words
    assert counts(TABLES)["cycle"] == 2


def test_a_file_with_problems_prints_them_and_exits_non_zero(tmp_path, world):
    bad = tmp_path / "levels.csv"
    bad.write_text("Site,Cycle,Cycle started on,Challenge,Agreed level\n"
                   "Nowhere,1,2024-01-01,1,1\nSite B,1,2024-01-01,1,7\n")
    before = counts(TABLES)
    result = invoke("import", str(bad))
    assert result.exit_code == 1
    assert "2 problems" in result.words and "No site has this name" in result.words
    assert "Nothing was imported" in result.words
    assert counts(TABLES) == before


@pytest.mark.parametrize(("content", "words"), [
    (b"", "The file is empty"),
    (b"\x00\x01\x02garbage", "binary data"),
    (b"PK\x03\x04truncated", "damaged or incomplete"),
])
def test_an_unreadable_file_gets_a_plain_error(tmp_path, world, content, words):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    result = invoke("import", str(path))
    assert result.exit_code == 1
    assert words in result.words and "Traceback" not in result.output


@pytest.mark.parametrize(("args", "words"), [
    (("import", "/no/such/file.xlsx"), "There is no file at"),
    (("export", "--format", "json", "-o", "x.json"), "give --site"),
    (("export", "--format", "csv", "-o", "x.csv"), "Choose the table"),
    (("export", "--site", "999999", "-o", "x.xlsx"), "No site has the id 999999"),
])
def test_wrong_arguments_get_a_plain_error(tmp_path, world, args, words, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 1
    assert words in result.words
