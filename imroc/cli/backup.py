"""`imroc backup PATH` and `imroc restore PATH` (the engine is imroc/backup.py)."""

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

console = Console()
err = Console(stderr=True)

DATABASE_OPTION = typer.Option(
    None, "--database-url", help="The database to use instead of IMROC_DATABASE_URL")
FILES_OPTION = typer.Option(
    None, "--files-dir", help="The evidence files directory to use instead of IMROC_FILES_DIR")


def _url(database_url: str | None) -> str:
    from imroc.config import get_settings

    return database_url or get_settings().database_url


def _fail(exc: Exception) -> NoReturn:
    # The message is plain text (a path may hold square brackets): never read as markup.
    err.print(Text("Error:", style="red") + Text(f" {exc}"), highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _say(message: str) -> None:
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _files(n: int) -> str:
    return f"{n} evidence file{'s' if n != 1 else ''}"


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def backup(path: Path = typer.Argument(..., help="The file to write the backup to"),
           overwrite: bool = typer.Option(False, "--overwrite",
                                          help="Replace PATH if it already exists"),
           database_url: str | None = DATABASE_OPTION,
           files_dir: Path | None = FILES_OPTION) -> None:
    """Copy the database and the evidence files to PATH, even while the service runs."""
    from imroc.backup import BackupError
    from imroc.backup import backup as run_backup

    try:
        done = run_backup(_url(database_url), path, overwrite=overwrite, files_dir=files_dir)
    except BackupError as exc:
        _fail(exc)
    _say(f"Backed up the {done.kind} database and {_files(done.files)} to {done.path} "
         f"({_size(done.size)}, schema revision {done.revision}).")


def restore(path: Path = typer.Argument(..., help="A file made by 'imroc backup'"),
            database_url: str | None = DATABASE_OPTION,
            files_dir: Path | None = FILES_OPTION) -> None:
    """Bring a backup back into an empty database, and its files into the files directory.

    A database that holds data is refused. Stop the service first, and run 'imroc db upgrade'
    afterwards if the backup is older.
    """
    from imroc.backup import BackupError
    from imroc.backup import restore as run_restore

    try:
        done = run_restore(_url(database_url), path, files_dir=files_dir)
    except BackupError as exc:
        _fail(exc)
    _say(f"Restored {done.path} into the {done.kind} database "
         f"(schema revision {done.revision}) and {_files(done.files)}.")
    if done.behind_head:
        _say("This backup was made by an earlier version: run 'imroc db upgrade' before "
             "serving.")


def register(app: typer.Typer) -> None:
    """Add the commands to the `imroc` application."""
    app.command("backup")(backup)
    app.command("restore")(restore)
