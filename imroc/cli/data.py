"""`imroc export` and `imroc import`: the same services as the pages, with a progress bar."""

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from imroc.errors import DomainError

console = Console()
err = Console(stderr=True)
# The command line reads files from disk, so it allows more than an upload.
CLI_MAX_BYTES = 512 * 1024 * 1024


def _fail(message: str) -> None:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=1)


def _message(exc: DomainError) -> str:
    errors = getattr(exc, "errors", None)
    return "; ".join(errors.values()) if errors else exc.message


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=err, transient=True)


def export_command(
    output: Path = typer.Option(..., "--output", "-o", help="The file to write"),
    site: int | None = typer.Option(None, "--site", help="Export this site's history (its id)"),
    learning_set: int | None = typer.Option(None, "--learning-set",
                                            help="Export this learning set's sites (its id)"),
    anonymise: bool = typer.Option(False, "--anonymise",
                                   help="Learning set only: Site A, B... and no rater names"),
    fmt: str = typer.Option("xlsx", "--format",
                            help="xlsx, zip (of CSVs), csv (one --table) or json (one --site)"),
    table: str | None = typer.Option(None, "--table", help="For csv: sites, cycles, ratings, "
                                     "consensus, priorities, actions, consultancy or "
                                     "shared_changes"),
) -> None:
    """Export a site, a learning set or (with neither) the whole programme."""
    from imroc.db import read_session
    from imroc.models import LearningSet, Site
    from imroc.services.data_io import export_files, exports
    from imroc.services.data_io.exchange import export_site
    from imroc.services.users import system_principal

    if site is not None and learning_set is not None:
        _fail("Give --site or --learning-set, not both")
    if fmt == "json" and site is None:
        _fail("The JSON exchange document is for one site: give --site")
    system = system_principal()
    with read_session() as session, _progress() as bar:
        task = bar.add_task("Reading the tables", total=6)
        try:
            if fmt != "json":
                export_files.check_choice(fmt, table)
            if site is not None:
                found = session.get(Site, site)
                if found is None:
                    _fail(f"No site has the id {site}")
                if fmt == "json":
                    data = export_site(session, principal=None, site=found).model_dump_json(
                        indent=2).encode()
                    output.write_bytes(data)
                    console.print(f"Wrote the exchange document for {found.name} to {output}.")
                    return
                export = exports.site_export(session, principal=system, site=found)
            elif learning_set is not None:
                ls = session.get(LearningSet, learning_set)
                if ls is None:
                    _fail(f"No learning set has the id {learning_set}")
                export = exports.learning_set_export(session, principal=system, ls=ls,
                                                     anonymise=anonymise)
            else:
                export = exports.programme_export(
                    session, principal=None, progress=lambda _t: bar.advance(task))
            bar.update(task, completed=6, description="Writing the file")
            data, _media, _name = export_files.render_file(export, fmt, table)
        except DomainError as exc:
            _fail(_message(exc))
    output.write_bytes(data)
    rows = sum(len(v) for v in export.tables.values())
    console.print(f"Wrote {rows:,} rows to {output} ({len(data) / 1024:,.0f} KB).")


def import_command(
    file: Path = typer.Argument(..., help="An XLSX workbook, a CSV, a zip of CSVs or a JSON "
                                "exchange document"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and change nothing"),
) -> None:
    """Import earlier assessments or a site's exchange document (all or nothing)."""
    from imroc.db import write_session
    from imroc.services.data_io.imports import describe, run_import

    if not file.is_file():
        _fail(f"There is no file at {file}")
    if file.stat().st_size > CLI_MAX_BYTES:
        _fail(f"The file is larger than {CLI_MAX_BYTES // (1024 * 1024)} MB")
    data = file.read_bytes()
    with write_session() as session, _progress() as bar:
        task = bar.add_task("Checking the file", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description="Importing sites")

        try:
            report = run_import(session, data, principal=None, dry_run=dry_run,
                                max_bytes=CLI_MAX_BYTES, progress=step)
        except DomainError as exc:
            _fail(_message(exc))
    counts = describe(report.counts)
    if report.problems:
        table = Table(title=f"{len(report.problems)} problems in the {report.kind_label}")
        for heading in ("Table", "Row", "Column", "Value", "Problem"):
            table.add_column(heading)
        for p in report.problems:
            table.add_row(p.table, str(p.row or ""), p.column, p.value, p.message)
        console.print(table)
        _fail("Nothing was imported. Correct the file and try again.")
    for line in report.sites:
        console.print(f"{line.name}: {line.message}", markup=False)
        for note in line.notes:
            console.print(f"  {note}", markup=False)
    if report.dry_run:
        console.print(f"No problems found. Importing would add {counts}. Nothing was changed "
                      "(dry run).")
    else:
        console.print(f"Imported {counts}.")
