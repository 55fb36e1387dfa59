"""`imroc files prune`: remove stored evidence files that no evidence names any more.

Removing evidence leaves its content in the files directory, because other evidence may
share it; this command clears what nothing names (for example a file added by mistake and
removed at once), and the temporary files of uploads that never finished.
"""

import typer
from rich.console import Console
from sqlmodel import select

from imroc.db import read_session
from imroc.files import default_store, prune
from imroc.models import Evidence

files_app = typer.Typer(help="The evidence files directory (IMROC_FILES_DIR).",
                        no_args_is_help=True)
console = Console()


def _referenced(sha256: str) -> bool:
    """Asked afresh each time, so evidence added while the prune runs is seen."""
    with read_session() as session:
        return session.exec(select(Evidence.id).where(Evidence.sha256 == sha256)
                            .limit(1)).first() is not None


@files_app.command("prune")
def prune_command(
        dry_run: bool = typer.Option(False, "--dry-run",
                                     help="List what would be removed; remove nothing."),
        older_than: float = typer.Option(24, "--older-than", min=1,
                                         help="Leave files stored or added again within "
                                              "this many hours")) -> None:
    """Remove files no evidence names and not touched for a day (or --older-than hours)."""
    store = default_store()
    done = prune(store, referenced=_referenced, older_than=older_than * 3600, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    console.print(f"{verb} {len(done.files)} file{'s' if len(done.files) != 1 else ''} that no "
                  f"evidence names ({done.size} bytes) and {done.unfinished} unfinished "
                  f"upload{'s' if done.unfinished != 1 else ''} from {store.root}.",
                  markup=False, highlight=False, soft_wrap=True)
    for sha in done.files:
        console.print(f"  {sha}", markup=False, highlight=False)
