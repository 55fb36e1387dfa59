"""Reference data loaded by `imroc seed framework`: the framework and the kinds of site."""

import tomllib
from pathlib import Path

from sqlmodel import Session

from imroc.config import ROOT
from imroc.models import SiteKind
from imroc.services import frameworks

SITE_KINDS_FILE = ROOT / "seed" / "site_kinds.toml"


def load_site_kinds(session: Session, path: Path = SITE_KINDS_FILE) -> int:
    """Add any missing kinds of site; existing ones (perhaps edited by an admin) are kept."""
    with path.open("rb") as fh:
        kinds = tomllib.load(fh)["kinds"]
    added = 0
    for order, kind in enumerate(kinds):
        if session.get(SiteKind, kind["code"]) is None:
            session.add(SiteKind(code=kind["code"], label=kind["label"],
                                 default_consultancy_days=kind["default_consultancy_days"],
                                 sort_order=order))
            added += 1
    session.commit()
    return added


def load_reference(session: Session, framework_file: Path = frameworks.DEFAULT_FILE) -> dict:
    """Load the framework and the kinds of site, idempotently."""
    fw, created = frameworks.load(session, frameworks.read_file(framework_file))
    kinds = load_site_kinds(session)
    return {"framework": f"{fw.key} {fw.version}", "framework_created": created,
            "site_kinds_added": kinds}
