"""A fictional demo programme, created through the same services people use."""

import random
import tomllib
from datetime import date
from pathlib import Path

from sqlmodel import Session

from imroc.config import ROOT
from imroc.models.site import LearningSetCreate, SiteCreate
from imroc.models.user import GlobalRole, MembershipCreate, Perspective, SiteRole, UserCreate
from imroc.security import hash_password
from imroc.seed import demo_consultancy, demo_history, demo_measures
from imroc.services import changes, learning_sets, sites, users
from imroc.services.access import load_principal

DEMO_FILE = ROOT / "seed" / "demo.toml"
DEMO_PASSWORD = "imroc-demo-2026"
DOMAIN = "imroc.example"
SITE_PEOPLE = [
    ("lead", SiteRole.site_lead, Perspective.staff),
    ("staff", SiteRole.site_member, Perspective.staff),
    ("lived", SiteRole.site_member, Perspective.lived_experience),
    ("carer", SiteRole.site_member, Perspective.carer),
    ("partner", SiteRole.site_member, Perspective.partner),
]


def _names(data: dict, seed: int = 2011):
    rng = random.Random(seed)
    first, last = data["people"]["first_names"], data["people"]["last_names"]
    while True:
        yield f"{rng.choice(first)} {rng.choice(last)}"


def demo_logins() -> list[tuple[str, str]]:
    """The sign-ins to print after seeding: (who, email)."""
    return [
        ("Administrator", f"admin@{DOMAIN}"),
        ("Programme team", f"programme@{DOMAIN}"),
        ("Facilitator (first learning set)", f"facilitator1@{DOMAIN}"),
        ("Steering group lead, first site", f"s01.lead@{DOMAIN}"),
        ("Member with lived experience, first site", f"s01.lived@{DOMAIN}"),
        ("Staff member, first site", f"s01.staff@{DOMAIN}"),
        ("Carer, first site", f"s01.carer@{DOMAIN}"),
    ]


def load_demo(session: Session, path: Path = DEMO_FILE, today: date | None = None) -> dict:
    """Create the demo programme once; a second run changes nothing. Its open cycles began a
    few weeks before `today` (the day it is loaded when omitted)."""
    if users.find_by_email(session, f"admin@{DOMAIN}") is not None:
        return {"created": False}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    names = _names(data)
    shared_hash = hash_password(DEMO_PASSWORD)  # one slow hash, not one per demo account

    def person(email: str, role: GlobalRole | None = None, name: str | None = None):
        return users.create_user(session, actor=None, password_hash=shared_hash, data=UserCreate(
            email=email, name=name or next(names), password=DEMO_PASSWORD, global_role=role))

    admin = person(f"admin@{DOMAIN}", GlobalRole.admin)
    team = [person(f"programme@{DOMAIN}", GlobalRole.programme_team),
            person(f"programme2@{DOMAIN}", GlobalRole.programme_team)]
    actor = load_principal(session, admin)

    set_ids: dict[str, int] = {}
    created_sites = []
    for i, spec in enumerate(data["learning_sets"], start=1):
        facilitator = person(f"facilitator{i}@{DOMAIN}")
        ls = learning_sets.create_learning_set(session, principal=actor, data=LearningSetCreate(
            name=spec["name"], region=spec["region"], facilitator_ids=[facilitator.id]))
        set_ids[spec["name"]] = ls.id

    for n, spec in enumerate(data["sites"], start=1):
        site = sites.create_site(session, principal=actor, data=SiteCreate(
            name=spec["name"], organisation=spec["organisation"], kind=spec["kind"],
            region=spec["region"], learning_set_id=set_ids[spec["learning_set"]],
            joined_on=date.fromisoformat(spec["joined_on"])))
        created_sites.append(site)
        for label, role, perspective in SITE_PEOPLE:
            user = person(f"s{n:02d}.{label}@{DOMAIN}")
            users.add_membership(session, site=site, actor=admin, data=MembershipCreate(
                email=user.email, role=role, perspective=perspective))
    history = demo_history.load_history(session, sites=created_sites, today=today)
    values = demo_measures.load_measures(session, sites=created_sites, actor=actor,
                                         history=history, today=today)
    # The demo's values come after its history: its shared changes read them now.
    for change in history.shared:
        changes.read_measures(session, change=change)
    days = demo_consultancy.load_consultancy(session, sites=created_sites, team=team,
                                             peer_trainers=[next(names) for _ in range(3)],
                                             actor=actor, today=today)
    return {"created": True, "sites": len(data["sites"]), "learning_sets": len(set_ids),
            "shared_changes": len(history.shared),
            "cycles": history.played, "measure_values": values, "consultancy_entries": days}


