"""Which site a file's site is: found by its identifier (uid), else by its name, else new.

Both readers use this one rule. A file from an export names each site's identifier, which
stays the same when the site is renamed, so an older export still finds the renamed site.
Only when a file gives no identifier is a site found by its name, and the dry run says so.
"""

import uuid

from imroc.services.data_io.import_checks import Known
from imroc.services.data_io.import_plan import SitePlan


def parse_uid(text: str | None) -> str | None:
    """The identifier in its usual written form, or ValueError."""
    if text is None or not text.strip():
        return None
    return str(uuid.UUID(text.strip()))


def match_site(known: Known, *, name: str, uid: str | None) -> SitePlan | str:
    """The plan for this site (existing or new), or why it cannot be matched."""
    if uid is not None and uid in known.uids:
        site_id, here = known.uids[uid]
        return SitePlan(name=name, uid=uid, existing_id=site_id, existing_name=here,
                        matched_by="uid")
    if name in known.sites:
        if uid is not None:
            return (f"A different site here is called {name} (its identifier is not the one "
                    "in the file): rename one of them before importing")
        return SitePlan(name=name, existing_id=known.sites[name], existing_name=name,
                        matched_by="name")
    return SitePlan(name=name, uid=uid)


def describe(sp: SitePlan) -> str:
    """What the import does with this site, in words for the dry run."""
    if sp.existing_id is None:
        return f"{sp.name} is a new site"
    if sp.matched_by == "uid":
        renamed = "" if sp.existing_name == sp.name else f" (called {sp.name} in the file)"
        return f"Adds to {sp.existing_name}{renamed}, found by its site identifier"
    return (f"Adds to {sp.existing_name}, found by its name: the file gives no site "
            "identifier")
