"""`imroc reminders send`: write the reminders that are due and send what waits in the outbox.

Meant to run every few minutes (cron or a systemd timer); safe when two servers run it at
the same moment, and a mail server that fails part-way loses nothing.
"""

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from imroc import clock
from imroc.config import get_settings
from imroc.db import read_session, write_session
from imroc.services import mail, reminders

reminders_app = typer.Typer(help="Reminders and notifications by e-mail.", no_args_is_help=True)
console = Console()


@reminders_app.command("send")
def send(dry_run: bool = typer.Option(False, "--dry-run",
                                      help="List what would be written and sent; change nothing.")
         ) -> None:
    """Write today's reminders (each once per person) and send every message waiting."""
    started = time.perf_counter()
    today = clock.today()
    if dry_run:
        with read_session() as session:
            due = reminders.plan(session, today=today)
            waiting = mail.waiting(session)
        table = Table(title=f"Reminders due on {today:%d %B %Y} (each written once per person)")
        for column in ("Kind", "For", "Reminder"):
            table.add_column(column)
        for r in due:
            table.add_row(r.kind.value, f"{len(r.user_ids)}", r.title)
        console.print(table)
        console.print(f"{len(due)} reminders due (those written before are not written again); "
                      f"{waiting} messages waiting in the outbox. Nothing was changed.")
        return
    with write_session() as session:
        written = reminders.write(session, today=today)
        waiting = mail.waiting(session)
    how = "the mail server" if get_settings().smtp_url else "the log (IMROC_SMTP_URL is not set)"
    with Progress(TextColumn("Sending to " + how), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=waiting < 50) as progress:
        task = progress.add_task("send", total=waiting)
        done = mail.deliver(progress=lambda n: progress.advance(task, n))
    console.print(f"{written} new notifications and digests; {done.sent} messages sent, "
                  f"{done.logged} written to the log, {done.failed} left for the next run "
                  f"({time.perf_counter() - started:.1f} s).")
    if done.error:
        console.print(f"[red]The mail server stopped the run:[/red] {done.error}")
        raise typer.Exit(code=1)
