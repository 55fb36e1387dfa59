"""Build a large programme fast, straight into the tables, for the benchmark."""

import random
from datetime import date, timedelta

from sqlalchemy import Engine, insert, text

from imroc.clock import utcnow
from imroc.models import (
    Action,
    AuditEvent,
    ConsensusScore,
    Cycle,
    LearningSet,
    LearningSetFacilitator,
    Membership,
    Priority,
    Rating,
    Site,
    SiteLearningSet,
    User,
)
from imroc.security import hash_password

PASSWORD = "bench-password-2026"
PERSPECTIVES = ["staff", "lived_experience", "carer", "partner"]
STATUSES = ["not_started", "in_progress", "done", "blocked", "dropped"]


def build(engine: Engine, *, framework_id: int, sites: int = 500, sets: int = 50,
          cycles: int = 6, raters: int = 8, actions: int = 5, seed: int = 7) -> dict[str, int]:
    """Insert the programme; the last cycle of every site is open at the assess stage."""
    rng = random.Random(seed)
    now = utcnow()
    pw = hash_password(PASSWORD)
    rows: dict[str, list[dict]] = {k: [] for k in (
        "user", "set", "fac", "site", "sls", "member", "cycle", "rating", "score", "prio",
        "action")}
    uid = 0

    def user(email: str, name: str, role: str | None = None) -> int:
        nonlocal uid
        uid += 1
        rows["user"].append({"id": uid, "email": email, "name": name, "password_hash": pw,
                             "global_role": role, "is_active": True, "created_at": now,
                             "updated_at": now})
        return uid

    user("programme@bench.example", "Programme Team", "programme_team")
    for s in range(1, sets + 1):
        rows["set"].append({"id": s, "name": f"Learning set {s}", "region": f"Region {s % 7}",
                            "version": 1, "created_at": now, "updated_at": now})
        rows["fac"].append({"learning_set_id": s,
                            "user_id": user(f"facilitator{s}@bench.example", f"Facilitator {s}")})
    cid = rid = aid = 0
    start = date(2020, 1, 6)
    for site_id in range(1, sites + 1):
        set_id = (site_id - 1) % sets + 1
        rows["site"].append({"id": site_id, "uid": f"bench-site-{site_id:04d}",
                             "name": f"Site {site_id:04d}", "organisation": "Trust",
                             "kind": ["pilot", "demonstration", "learning_set"][site_id % 3],
                             "region": f"Region {set_id % 7}", "learning_set_id": set_id,
                             "consultancy_days_allocated": 30, "version": 1, "created_at": now,
                             "updated_at": now})
        rows["sls"].append({"site_id": site_id, "learning_set_id": set_id, "joined_on": start})
        people = []
        for r in range(raters):
            u = user(f"s{site_id}.r{r}@bench.example", f"Rater {site_id}-{r}")
            perspective = PERSPECTIVES[r % len(PERSPECTIVES)]
            rows["member"].append({"user_id": u, "site_id": site_id, "perspective": perspective,
                                   "role": "site_lead" if r == 0 else "site_member",
                                   "created_at": now})
            people.append((u, perspective))
        for number in range(1, cycles + 1):
            cid += 1
            is_open = number == cycles
            rows["cycle"].append({
                "id": cid, "site_id": site_id, "number": number, "framework_id": framework_id,
                "stage": "assess" if is_open else "closed",
                "started_on": start + timedelta(days=91 * (number - 1)),
                "review_due_on": start + timedelta(days=91 * number),
                "aim": "Aim", "prediction": "Prediction", "measures": "", "plan_notes": "",
                "do_notes": "", "study_notes": "", "act_notes": "",
                "signed_off_at": None if is_open else now,
                "closed_at": None if is_open else now, "version": 1, "created_at": now,
                "updated_at": now})
            base = min(3, number // 2)
            for u, perspective in people:
                for c in range(1, 11):
                    rid += 1
                    rows["rating"].append({"id": rid, "cycle_id": cid, "rater_id": u,
                                           "perspective": perspective, "challenge": c,
                                           "level": max(0, min(3, base + rng.randint(-1, 1))),
                                           "comment": "", "updated_at": now})
            for c in range(1, 11):
                rows["score"].append({"cycle_id": cid, "challenge": c,
                                      "level": max(0, min(3, base + rng.randint(-1, 1))),
                                      "rationale": "", "to_reconfirm": is_open,
                                      "updated_at": now})
            chosen = rng.sample(range(1, 11), 3)
            if not is_open:
                for rank, c in enumerate(chosen, start=1):
                    rows["prio"].append({"cycle_id": cid, "challenge": c, "rank": rank,
                                         "current_level": base, "target_level": 3,
                                         "reason": ""})
            for a in range(actions):
                aid += 1
                rows["action"].append({
                    "id": aid, "cycle_id": cid, "challenge": chosen[a % 3],
                    "title": f"Action {a + 1}", "owner": "Team", "notes": "",
                    "due_on": start + timedelta(days=91 * number - 10),
                    "status": rng.choice(STATUSES), "outcome": None if is_open else "adopt",
                    "version": 1, "created_at": now, "updated_at": now})
    tables = [(User, "user"), (LearningSet, "set"), (LearningSetFacilitator, "fac"),
              (Site, "site"), (SiteLearningSet, "sls"), (Membership, "member"),
              (Cycle, "cycle"), (Rating, "rating"), (ConsensusScore, "score"),
              (Priority, "prio"), (Action, "action")]
    with engine.execution_options(imroc_write=True).begin() as conn:
        for model, key in tables:
            data = rows[key]
            for i in range(0, len(data), 5000):
                conn.execute(insert(model.__table__), data[i:i + 5000])
        conn.execute(insert(AuditEvent.__table__), [{
            "occurred_at": now, "action": "seed", "entity": "benchmark", "entity_id": "0"}])
        if conn.dialect.name == "postgresql":
            for table in ("user_account", "learning_set", "site", "site_learning_set",
                          "membership", "cycle", "rating", "consensus_score", "priority",
                          "action", "audit_event"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return {k: len(v) for k, v in rows.items()}
