"""Checking the plan tables of a spreadsheet import: priorities and actions (import_rows.py
reads the rest and calls these)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imroc.services.data_io.import_checks import (
    OUTCOMES,
    STATUSES,
    challenge_problem,
    level_problem,
)

if TYPE_CHECKING:
    from imroc.services.data_io.import_rows import Reader


def priority_row(r: Reader, row: int, v: dict) -> None:
    found = r.cycle("priorities", row, v)
    if found is None:
        return
    cp = found[1]
    checks = [("challenge", challenge_problem(r.known, cp.framework_id, v["challenge"]))]
    checks += [(k, level_problem(r.known, cp.framework_id, v[k]))
               for k in ("current_level", "target_level")]
    for key, message in checks:
        if message:
            r.problem("priorities", row, key, v[key], message)
            return
    if not 1 <= v["rank"] <= 10 or any(p["rank"] == v["rank"] for p in cp.priorities):
        r.problem("priorities", row, "rank", v["rank"], "Must be 1 to 10 and used once a cycle")
        return
    if any(p["challenge"] == v["challenge"] for p in cp.priorities):
        r.problem("priorities", row, "challenge", v["challenge"], "Chosen twice in one cycle")
        return
    cp.priorities.append({k: v[k] for k in ("rank", "challenge", "current_level",
                                            "target_level")} | {"reason": v["reason"] or ""})


def action_row(r: Reader, row: int, v: dict) -> None:
    found = r.cycle("actions", row, v)
    if found is None:
        return
    cp = found[1]
    checks = (("challenge", challenge_problem(r.known, cp.framework_id, v["challenge"])),
              ("status", None if v["status"] in STATUSES else
               "Must be one of " + ", ".join(sorted(STATUSES))),
              ("outcome", None if not v["outcome"] or v["outcome"] in OUTCOMES else
               "Must be adopt, adapt, abandon or left empty"),
              ("number", None if v["number"] >= 1 and
               all(a["number"] != v["number"] for a in cp.actions) else
               "Must be 1 or more and used once a cycle"))
    for key, message in checks:
        if message:
            r.problem("actions", row, key, v[key], message)
            return
    cp.actions.append({k: v[k] for k in ("number", "challenge", "title", "status")} | {
        "owner": v["owner"] or "", "due_on": v["due_on"], "outcome": v["outcome"] or None,
        "notes": v["notes"] or "", "carried_from": None, "_row": row})


def carried(r: Reader, row: int, v: dict) -> None:
    sp = r.plan.sites.get(v["site"].strip())
    cp = sp.cycles.get(v["cycle"]) if sp else None
    mine = next((a for a in cp.actions if a.get("_row") == row), None) if cp else None
    if mine is None:
        return
    mine.pop("_row")
    origin = (v["carried_from_cycle"], v["carried_from_number"])
    if origin == (None, None):
        return
    source = sp.cycles.get(origin[0]) if None not in origin else None
    if source is None or origin[0] >= v["cycle"] or \
            not any(a["number"] == origin[1] for a in source.actions):
        r.problem("actions", row, "carried_from_cycle", f"{origin[0]}/{origin[1]}",
                  "Must name an action of an earlier cycle of this site in the same file")
        return
    mine["carried_from"] = origin
