"""The `imroc` command."""

import sys

import typer
from rich.console import Console
from rich.table import Table

from imroc.cli import backup as cli_backup
from imroc.cli.data import export_command, import_command
from imroc.cli.files import files_app
from imroc.cli.reminders import reminders_app
from imroc.errors import DomainError

app = typer.Typer(help="The ImROC self-audit and PDSA tracker.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Database schema (Alembic underneath).", no_args_is_help=True)
seed_app = typer.Typer(help="Load reference and demo data.", no_args_is_help=True)
users_app = typer.Typer(help="People who can sign in.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(users_app, name="users")
app.add_typer(reminders_app, name="reminders")
app.add_typer(files_app, name="files")
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=1)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          reload: bool = typer.Option(False, help="Restart on code changes (development)")) -> None:
    """Serve the web application."""
    import uvicorn

    from imroc.config import get_settings
    uvicorn.run("imroc.main:create_app", factory=True, host=host, port=port, workers=workers,
                reload=reload, access_log=False, **proxy_options(get_settings().trusted_proxies))


def proxy_options(trusted_proxies: str) -> dict:
    """The client's address (for sign-in throttling) comes from X-Forwarded-For only when
    the request comes from a proxy that IMROC_TRUSTED_PROXIES names; by default, none."""
    proxies = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Bring the schema up to date (or to REVISION)."""
    from alembic import command

    from imroc.migrations_state import alembic_config

    command.upgrade(alembic_config(), revision)
    console.print(f"Database upgraded to {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Take the schema back to REVISION ('base' removes every table)."""
    from alembic import command

    from imroc.migrations_state import alembic_config

    command.downgrade(alembic_config(), revision)
    console.print(f"Database downgraded to {revision}.")


@seed_app.command("framework")
def seed_framework() -> None:
    """Load the ten challenges, the scale and the kinds of site (safe to run again)."""
    from imroc.db import write_session
    from imroc.seed.reference import load_reference

    with write_session() as session:
        try:
            result = load_reference(session)
        except DomainError as exc:
            _fail(exc.message)
    state = "loaded" if result["framework_created"] else "already loaded"
    console.print(f"Framework {result['framework']} {state}; "
                  f"{result['site_kinds_added']} kinds of site added.")


@seed_app.command("demo")
def seed_demo() -> None:
    """Create the fictional demo programme (once) and print its sign-ins."""
    from imroc.db import write_session
    from imroc.seed.demo import DEMO_PASSWORD, demo_logins, load_demo
    from imroc.seed.reference import load_reference

    with write_session() as session:
        load_reference(session)
        result = load_demo(session)
    if result["created"]:
        console.print(f"Demo programme created: {result['sites']} sites in "
                      f"{result['learning_sets']} learning sets, {result['cycles']} past "
                      "cycles played through.")
    else:
        console.print("Demo programme already present.")
    table = Table(title=f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
    table.add_column("Who")
    table.add_column("Email")
    for who, email in demo_logins():
        table.add_row(who, email)
    console.print(table)


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., "--email"),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option(..., "--role", help="site_member, site_lead, facilitator, "
                             "programme_team or admin"),
    site: int | None = typer.Option(None, "--site", help="Site id (for site roles)"),
    learning_set: int | None = typer.Option(None, "--learning-set",
                                            help="Learning set id (for facilitators)"),
    perspective: str = typer.Option("staff", "--perspective",
                                    help="staff, lived_experience, carer or partner"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input"),
) -> None:
    """Create a person, with their role, reading the password safely."""
    from imroc.db import write_session
    from imroc.services.users import create_with_role

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with write_session() as session:
        try:
            user = create_with_role(session, email=email, name=name, role=role, site_id=site,
                                    learning_set_id=learning_set, perspective=perspective,
                                    password=password)
        except DomainError as exc:
            errors = getattr(exc, "errors", None)
            _fail("; ".join(f"{k}: {v}" for k, v in errors.items()) if errors else exc.message)
    console.print(f"Created {user.email} (id {user.id}) as {role}.")


app.command("export")(export_command)
app.command("import")(import_command)


cli_backup.register(app)  # `imroc backup` and `imroc restore`
