"""Adding many people at once from a CSV file: every row checked first, then all of them
or none.

A check-only run reports and changes nothing; a real run with any problem also changes
nothing and reports the same list. Each person gets either an account with no password
(they choose one through "Forgotten your password?") and their place, or an invitation by
e-mail with which they choose their own password and take the place.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from imroc.errors import Conflict, Invalid
from imroc.models import LearningSet, LearningSetFacilitator, Site, User
from imroc.models.user import EMAIL_PATTERN, PERSPECTIVE_LABELS, ROLE_LABELS
from imroc.services import access, invitations, users
from imroc.services.access import Principal
from imroc.services.data_io.import_files import decode_text
from imroc.services.data_io.import_plan import NO_PASSWORD, Problem

MAX_PEOPLE = 5000
COLUMNS = {"name": "name", "full name": "name", "email": "email", "email address": "email",
           "e-mail": "email", "e-mail address": "email", "site": "site", "role": "role",
           "perspective": "perspective", "learning set": "learning_set"}
COLUMN_LABELS = {"name": "Name", "email": "Email", "site": "Site", "role": "Role",
                 "perspective": "Perspective", "learning_set": "Learning set"}
SITE_ROLES = ("site_member", "site_lead")
# Role and perspective as written in the file: the key or its label, in any case.
ROLES = {**{k: k for k in ROLE_LABELS}, **{v.lower(): k for k, v in ROLE_LABELS.items()}}
PERSPECTIVES = {**{p.value: p.value for p in PERSPECTIVE_LABELS},
                **{v.lower(): p.value for p, v in PERSPECTIVE_LABELS.items()}}


@dataclass
class Row:
    line: int
    name: str
    email: str
    role: str
    perspective: str | None = None
    site: Site | None = None
    learning_set: LearningSet | None = None


@dataclass
class PeopleReport:
    dry_run: bool
    invite: bool
    imported: bool = False
    problems: list[Problem] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    mail_ids: list[int] = field(default_factory=list)


def import_people(session: Session, data: bytes, *, principal: Principal, dry_run: bool,
                  invite: bool, max_bytes: int) -> PeopleReport:
    """Check the file and, unless it is a check only or anything is wrong, add everyone.

    Raises Invalid (field "file") when the file cannot be read at all."""
    access.ensure_admin(principal)
    report = PeopleReport(dry_run=dry_run, invite=invite)
    report.rows, report.problems = _read(session, data, max_bytes=max_bytes, invite=invite)
    if report.problems or dry_run:
        session.rollback()
        return report
    try:
        for row in report.rows:
            if invite:
                _inv, mail_id = invitations.add_invitation(
                    session, email=row.email, name=row.name, role=row.role,
                    perspective=row.perspective, site=row.site, learning_set=row.learning_set,
                    inviter=principal.user)
                report.mail_ids.append(mail_id)
            else:
                _add_account(session, row, actor=principal.user)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Someone added one of these people at the same moment. Nothing was "
                       "imported: check the file again") from None
    report.imported = True
    return report


def _add_account(session: Session, row: Row, *, actor: User) -> None:
    user = users.add_user(session, email=row.email, name=row.name, password_hash=NO_PASSWORD,
                          global_role=row.role if row.role in ("programme_team", "admin")
                          else None, actor=actor, action="import")
    if row.site is not None:
        users.add_member(session, site_id=row.site.id, user_id=user.id, role=row.role,
                         perspective=row.perspective, actor=actor, action="import")
    if row.learning_set is not None:
        session.add(LearningSetFacilitator(learning_set_id=row.learning_set.id, user_id=user.id))


def _read(session: Session, data: bytes, *, max_bytes: int, invite: bool
          ) -> tuple[list[Row], list[Problem]]:
    if not data:
        raise Invalid({"file": "The file is empty"})
    if len(data) > max_bytes:
        raise Invalid({"file": f"The file is larger than {max_bytes // (1024 * 1024)} MB"})
    text = decode_text(data)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise Invalid({"file": f"The CSV cannot be read: {exc}"}) from None
    if not lines or not any(c.strip() for c in lines[0]):
        raise Invalid({"file": "The file has no heading row: the first row names the columns"})
    keys = [COLUMNS.get(h.strip().lower()) for h in lines[0]]
    missing = [COLUMN_LABELS[k] for k in ("name", "email", "role") if k not in keys]
    if missing:
        raise Invalid({"file": f"The heading row has no {', '.join(missing)} column. Columns "
                               "are Name, Email, Role, Site, Perspective and Learning set"})
    records = [(n, {k: (cells[i].strip() if i < len(cells) else "")
                    for i, k in enumerate(keys) if k})
               for n, cells in enumerate(lines[1:], start=2) if any(c.strip() for c in cells)]
    if not records:
        raise Invalid({"file": "The file has a heading row but no people"})
    if len(records) > MAX_PEOPLE:
        raise Invalid({"file": f"The file has more than {MAX_PEOPLE:,} people: split it"})
    sites = {s.name.lower(): s for s in session.exec(
        select(Site).where(col(Site.archived_at).is_(None))).all()}
    sets = {s.name.lower(): s for s in session.exec(
        select(LearningSet).where(col(LearningSet.archived_at).is_(None))).all()}
    emails = [r.get("email", "").lower() for _, r in records]
    taken = set(session.exec(select(User.email).where(
        func.lower(col(User.email)).in_(emails))).all())
    waiting = invitations.pending_emails(session, emails) if invite else set()
    seen: dict[str, int] = {}
    rows, problems = [], []
    for line, rec in records:
        row, found = _check(line, rec, sites, sets)
        if row.email:
            if row.email in seen:
                found.append(("email", row.email, "This e-mail address is also on row "
                              f"{seen[row.email]}: each person goes on one row only"))
            elif row.email in taken:
                found.append(("email", row.email, "Someone already has an account with this "
                              "e-mail address: give them a place from their own page"))
            elif row.email in waiting:
                found.append(("email", row.email, "This person has already been invited: "
                              "send that invitation again instead"))
            seen.setdefault(row.email, line)
        problems += [Problem("people", line, COLUMN_LABELS[c], v, m) for c, v, m in found]
        rows.append(row)
    return rows, problems


def _check(line: int, rec: dict[str, str], sites: dict[str, Site],
           sets: dict[str, LearningSet]) -> tuple[Row, list[tuple[str, str, str]]]:
    """One row read and checked: the row and what is wrong with it (column, value, why)."""
    found = []
    name, email = rec.get("name", ""), rec.get("email", "").lower()
    if not name:
        found.append(("name", "", "Enter the person's full name"))
    elif len(name) > 200:
        found.append(("name", name, "The name must be 200 characters or fewer"))
    if not email:
        found.append(("email", "", "Enter the person's e-mail address"))
    elif len(email) > 254 or not re.match(EMAIL_PATTERN, email):
        found.append(("email", email, "Enter an e-mail address like name@example.org"))
    typed_role = rec.get("role", "")
    role = ROLES.get(typed_role.lower(), "")
    if not role:
        found.append(("role", typed_role, "The role must be one of: " + ", ".join(
            ROLE_LABELS[r] for r in ROLE_LABELS)))
    row = Row(line=line, name=name, email=email, role=role)
    typed_site, typed_set = rec.get("site", ""), rec.get("learning_set", "")
    typed_view = rec.get("perspective", "")
    if role in SITE_ROLES:
        row.site = sites.get(typed_site.lower()) if typed_site else None
        if not typed_site:
            found.append(("site", "", "Enter the name of the site whose steering group they join"))
        elif row.site is None:
            found.append(("site", typed_site, "No site taking part has this name"))
        row.perspective = PERSPECTIVES.get(typed_view.lower())
        if row.perspective is None:
            found.append(("perspective", typed_view, "The perspective must be one of: " +
                          ", ".join(PERSPECTIVE_LABELS.values())))
    elif role and typed_site:
        found.append(("site", typed_site, f"Leave the site empty for the role "
                      f"{ROLE_LABELS[role].lower()}: only steering group roles have a site"))
    if role == "facilitator":
        row.learning_set = sets.get(typed_set.lower()) if typed_set else None
        if not typed_set:
            found.append(("learning_set", "", "Enter the learning set they will facilitate"))
        elif row.learning_set is None:
            found.append(("learning_set", typed_set, "No learning set has this name"))
    elif role and typed_set:
        found.append(("learning_set", typed_set, "Leave the learning set empty: only "
                      "facilitators have one"))
    return row, found
