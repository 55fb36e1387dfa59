"""Checking a spreadsheet import row by row and turning it into a Plan.

The layout is the export's (services/data_layout.py): sites, cycles, ratings, consensus,
priorities, actions, any of which may be left out. The smallest useful file is one
consensus table: Site, Cycle, Cycle started on, Challenge, Agreed level (and Rationale);
each cycle it names is then recorded as closed, with its consensus signed off, dated as
import_dates.py says.
"""

from typing import Any

from imroc.models.cycle import PDSA_FIELDS
from imroc.services.data_io.import_checks import (
    PERSPECTIVES,
    STAGES,
    Bad,
    Known,
    challenge_problem,
    convert,
    email_problem,
    level_problem,
)
from imroc.services.data_io.import_dates import settle_dates
from imroc.services.data_io.import_files import Sheet
from imroc.services.data_io.import_plan import CyclePlan, Plan, Problem, SitePlan
from imroc.services.data_io.import_plan_rows import action_row, carried, priority_row
from imroc.services.data_io.import_sites import match_site, parse_uid
from imroc.services.data_io.layout import TABLES

COLUMNS = {t: {c.key: c for c in cols} for t, cols in TABLES.items()}


class Reader:
    def __init__(self, known: Known) -> None:
        self.known = known
        self.plan = Plan()
        self.problems: list[Problem] = []
        self.seen: set[tuple] = set()  # (table, cycle, challenge[, rater]) already given
        self.cycle_rows: dict[tuple[str, int], int] = {}  # (site, cycle) -> Cycles row

    def problem(self, table: str, row: int | None, key: str, value: Any, message: str) -> None:
        header = COLUMNS[table][key].header if key in COLUMNS[table] else key
        self.problems.append(Problem(table, row, header, "" if value is None else str(value),
                                     message))

    def rows(self, sheet: Sheet | None):
        """Each row converted to its types; a row with any bad cell is reported, not used."""
        if sheet is None:
            return
        before = len(self.problems)
        for text in sheet.unknown:
            self.problem(sheet.table, 1, text, text, "This column is not part of the layout")
        present = {k for k in sheet.columns if k}
        for c in TABLES[sheet.table]:
            if c.required and c.key not in present:
                self.problem(sheet.table, 1, c.key, "", f"The column '{c.header}' is missing")
        if len(self.problems) > before:
            return  # the header is wrong: checking each row would only repeat it
        for number, raw in sheet.rows:
            values, ok = {}, True
            for c in TABLES[sheet.table]:
                if c.info:
                    continue
                try:
                    values[c.key] = convert(c, raw.get(c.key))
                except Bad as exc:
                    self.problem(sheet.table, number, c.key, raw.get(c.key), str(exc))
                    ok = False
            if ok:
                yield number, values

    def site(self, table: str, row: int, name: str) -> SitePlan | None:
        name = name.strip()
        if name not in self.plan.sites:
            if name not in self.known.sites:
                self.problem(table, row, "site", name, "No site has this name: add it to the "
                             "Sites table or create the site first")
                return None
            found = match_site(self.known, name=name, uid=None)
            if isinstance(found, str) or not self.once(table, row, "site", found):
                return None
            self.plan.sites[name] = found
        return self.plan.sites[name]

    def once(self, table: str, row: int, key: str, found: SitePlan) -> bool:
        """An existing site is named once in a file (by its identifier or its name)."""
        twice = next((s for s in self.plan.sites.values()
                      if found.existing_id is not None and s.existing_id == found.existing_id),
                     None)
        if twice is not None:
            self.problem(table, row, key, found.name, f"This is {found.existing_name}, which "
                         f"the file already names as {twice.name}")
        return twice is None

    def cycle(self, table: str, row: int, values: dict) -> tuple[SitePlan, CyclePlan] | None:
        sp = self.site(table, row, values["site"])
        if sp is None:
            return None
        cp = sp.cycles.get(values["cycle"])
        if cp is None:
            self.problem(table, row, "cycle", values["cycle"],
                         "This cycle is not in the Cycles table (nor, with its start date, in "
                         "the Consensus table)")
        return (sp, cp) if cp else None


def read_tables(sheets: dict[str, Sheet], known: Known) -> tuple[Plan, list[Problem]]:
    r = Reader(known)
    for number, v in r.rows(sheets.get("sites")):
        _site_row(r, number, v)
    for number, v in r.rows(sheets.get("cycles")):
        _cycle_row(r, number, v)
    for number, v in r.rows(sheets.get("consensus")):
        _consensus_row(r, number, v)
    for number, v in r.rows(sheets.get("ratings")):
        _rating_row(r, number, v)
    for number, v in r.rows(sheets.get("priorities")):
        priority_row(r, number, v)
    actions = list(r.rows(sheets.get("actions")))
    for number, v in actions:
        action_row(r, number, v)
    for number, v in actions:
        carried(r, number, v)
    for sp in r.plan.sites.values():
        settle_dates(sp, known, lambda n, message, sp=sp: r.problem(
            "cycles", r.cycle_rows.get((sp.name, n)), "signed_off_at", None, message))
    return r.plan, r.problems


def _site_row(r: Reader, row: int, v: dict) -> None:
    name = v["site"].strip()
    if name in r.plan.sites:
        r.problem("sites", row, "site", name, "This site is listed twice")
        return
    try:
        uid = parse_uid(v["uid"])
    except ValueError:
        r.problem("sites", row, "uid", v["uid"], "Must be a site identifier as an export "
                  "gives it, like 0f8fad5b-d9cb-469f-a165-70867728950e, or left empty")
        return
    if uid is not None and any(s.uid == uid for s in r.plan.sites.values()):
        r.problem("sites", row, "uid", uid, "This site identifier is listed twice")
        return
    found = match_site(r.known, name=name, uid=uid)
    if isinstance(found, str):
        r.problem("sites", row, "site", name, found)
        return
    if not r.once("sites", row, "site", found):
        return
    if found.existing_id is not None:  # an existing site: its details stay as they are
        r.plan.sites[name] = found
        return
    if v["kind"] not in r.known.kinds:
        r.problem("sites", row, "kind", v["kind"],
                  "Must be a kind of site: " + ", ".join(sorted(r.known.kinds)))
        return
    days = v["consultancy_days_allocated"]
    for key in ("consultancy_days_allocated", "consultancy_days_used"):
        if v[key] is not None and not 0 <= v[key] <= 1000:
            r.problem("sites", row, key, v[key], "Must be 0 to 1000")
            return
    learning_set = (v["learning_set"] or "").strip() or None
    if learning_set and learning_set not in r.known.learning_sets:
        r.plan.learning_sets.setdefault(learning_set, {"region": ""})
    found.learning_set = learning_set
    r.plan.sites[name] = found
    found.details = {
        "organisation": v["organisation"] or "", "kind": v["kind"], "region": v["region"] or "",
        "joined_on": v["joined_on"],
        "consultancy_days_allocated": r.known.kinds[v["kind"]] if days is None else days,
        "consultancy_days_used": v["consultancy_days_used"] or 0}


def _new_cycle(r: Reader, table: str, row: int, sp: SitePlan, number: int) -> bool:
    if number < 1:
        r.problem(table, row, "cycle", number, "Must be 1 or more")
        return False
    if number in sp.cycles:
        r.problem(table, row, "cycle", number, "This cycle is listed twice")
        return False
    if sp.existing_id is not None and (sp.existing_id, number) in r.known.cycles:
        r.problem(table, row, "cycle", number, f"{sp.name} already has a cycle {number}: an "
                  "import adds history and never changes what is recorded")
        return False
    return True


def _cycle_row(r: Reader, row: int, v: dict) -> None:
    sp = r.site("cycles", row, v["site"])
    if sp is None or not _new_cycle(r, "cycles", row, sp, v["cycle"]):
        return
    version = v["framework_version"]
    fid = r.known.frameworks.get(version) if version else r.known.current_framework
    if fid is None:
        r.problem("cycles", row, "framework_version", version,
                  "Must be a framework version loaded here: " + ", ".join(r.known.frameworks))
        return
    if v["stage"] not in STAGES:
        r.problem("cycles", row, "stage", v["stage"], "Must be one of " + ", ".join(STAGES))
        return
    if v["stage"] != "closed":
        if (sp.existing_id in r.known.open_sites
                or any(c.stage != "closed" for c in sp.cycles.values())):
            r.problem("cycles", row, "stage", v["stage"],
                      f"{sp.name} can have only one cycle that is not closed")
            return
    r.cycle_rows[(sp.name, v["cycle"])] = row
    sp.cycles[v["cycle"]] = CyclePlan(
        number=v["cycle"], framework_id=fid, stage=v["stage"], started_on=v["started_on"],
        review_due_on=v["review_due_on"], signed_off_at=v["signed_off_at"],
        closed_at=v["closed_at"],
        pdsa={k: v[k] or "" for k in PDSA_FIELDS})


def _consensus_row(r: Reader, row: int, v: dict) -> None:
    sp = r.site("consensus", row, v["site"])
    if sp is None:
        return
    cp = sp.cycles.get(v["cycle"])
    if cp is None:  # an earlier assessment given only as agreed levels
        if v["started_on"] is None:
            r.problem("consensus", row, "started_on", None, "Enter the date the cycle started "
                      "(or list the cycle in the Cycles table)")
            return
        if not _new_cycle(r, "consensus", row, sp, v["cycle"]):
            return
        # Signed off and closed by its own dates (import_dates.py), never the import's.
        cp = sp.cycles[v["cycle"]] = CyclePlan(
            number=v["cycle"], framework_id=r.known.current_framework, stage="closed",
            started_on=v["started_on"])
    if not _scored(r, "consensus", row, cp, v):
        return
    cp.consensus.append({"challenge": v["challenge"], "level": v["level"],
                         "rationale": v["rationale"] or "",
                         "to_reconfirm": bool(v["to_reconfirm"])})


def _scored(r: Reader, table: str, row: int, cp: CyclePlan, v: dict,
            also: tuple[str, ...] = ()) -> bool:
    """The challenge and level are the framework's, and the row is not a repeat."""
    for key, check in (("challenge", challenge_problem), ("level", level_problem)):
        message = check(r.known, cp.framework_id, v[key])
        if message:
            r.problem(table, row, key, v[key], message)
            return False
    key = (table, id(cp), *(v[k] for k in ("challenge", *also)))
    if key in r.seen:
        r.problem(table, row, "challenge", v["challenge"], "This challenge is given twice "
                  "for the same cycle" + (" and rater" if also else ""))
        return False
    r.seen.add(key)
    return True


def _rating_row(r: Reader, row: int, v: dict) -> None:
    found = r.cycle("ratings", row, v)
    if found is None:
        return
    sp, cp = found
    email = v["rater"].strip().lower()
    message = email_problem(email)
    if message:
        r.problem("ratings", row, "rater", v["rater"], message)
        return
    if v["perspective"] not in PERSPECTIVES:
        r.problem("ratings", row, "perspective", v["perspective"],
                  "Must be one of " + ", ".join(sorted(PERSPECTIVES)))
        return
    unknown = bool(v.get("dont_know"))
    if unknown and v["level"] is not None:
        r.problem("ratings", row, "dont_know", "Yes", "A rating is either a level or "
                  "“don't know”: leave the level blank, or answer No here")
        return
    if not unknown and v["level"] is None:
        r.problem("ratings", row, "level", "", "Enter the level, or Yes under “Don't know”")
        return
    v = {**v, "rater": email}
    if not _scored(r, "ratings", row, cp, v, also=("rater",)):
        return
    r.plan.people.setdefault(email, (v["rater_name"] or "").strip() or email.split("@")[0])
    sp.members.setdefault(email, ("site_member", v["perspective"]))
    cp.ratings.append({"rater": email, "perspective": v["perspective"],
                       "challenge": v["challenge"], "level": v["level"],
                       "dont_know": unknown, "comment": v["comment"] or ""})
