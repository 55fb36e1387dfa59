"""Importing a file: read it, check every row, then write all of it or nothing.

One entry point for the upload page, the API and `imroc import`. A dry run reports and
changes nothing; a real run with any problem also changes nothing and reports the same
list, so a file with one bad row in the middle imports nothing at all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from imroc.services import access
from imroc.services.access import Principal
from imroc.services.data_io.exchange_in import read_document
from imroc.services.data_io.import_checks import load_known
from imroc.services.data_io.import_files import read
from imroc.services.data_io.import_plan import Plan, Problem, write
from imroc.services.data_io.import_rows import read_tables
from imroc.services.data_io.import_sites import describe as describe_site

KINDS = {"exchange": "JSON exchange document", "tables": "spreadsheet"}
NOUNS = {"sites": ("new site", "new sites"), "cycles": ("cycle", "cycles"),
         "ratings": ("rating", "ratings"), "consensus": ("agreed level", "agreed levels"),
         "priorities": ("priority", "priorities"), "actions": ("action", "actions"),
         "values": ("measure value", "measure values"),
         "progress_scores": ("progress score", "progress scores"),
         "shared_changes": ("shared change", "shared changes")}


def describe(counts: dict[str, int]) -> str:
    """'1 new site, 2 cycles, 30 ratings...' for messages."""
    return ", ".join(f"{n:,} {NOUNS[k][n != 1]}" for k, n in counts.items())


@dataclass
class SiteLine:
    """One site of the file: new, or which recorded site it adds to and how it was found."""

    name: str
    new: bool
    existing_id: int | None
    existing_name: str | None
    matched_by: str | None
    message: str
    notes: list[str]


@dataclass
class Report:
    kind: str
    dry_run: bool
    imported: bool = False
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    sites: list[SiteLine] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def check_permission(principal: Principal | None) -> None:
    """Administrators and the programme team import (None: the command line)."""
    if principal is not None:
        access.ensure_import(principal)


def run_import(session: Session, data: bytes, *, principal: Principal | None, dry_run: bool,
               max_bytes: int, progress: Callable[[int, int], None] | None = None) -> Report:
    """Check the file and, unless it is a dry run or anything is wrong, import it.

    Raises Invalid (field "file") when the file cannot be read at all.
    """
    check_permission(principal)
    kind, content = read(data, max_bytes=max_bytes)
    known = load_known(session)
    plan, problems = (read_document(content, known, session) if kind == "exchange"
                      else read_tables(content, known))
    if not problems and not any(s.cycles or s.existing_id is None or any(s.sections.values())
                                for s in plan.sites.values()):
        problems.append(Problem("file", None, "", "", "The file holds nothing to import"))
    report = Report(kind=kind, dry_run=dry_run, problems=problems, counts=plan.counts(),
                    sites=[SiteLine(name=sp.name, new=sp.existing_id is None,
                                    existing_id=sp.existing_id, existing_name=sp.existing_name,
                                    matched_by=sp.matched_by, message=describe_site(sp),
                                    notes=sp.notes) for sp in plan.sites.values()])
    if problems or dry_run:
        session.rollback()
        return report
    _write(session, plan, principal, progress)
    report.imported = True
    return report


def _write(session: Session, plan: Plan, principal: Principal | None,
           progress: Callable[[int, int], None] | None) -> None:
    total = len(plan.sites)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    actor = principal.user if principal is not None and principal.user.id else None
    write(session, plan, actor=actor, progress=tick)
