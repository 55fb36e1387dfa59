"""Parts of a page that more than one area shows."""

from sqlmodel import Session

from imroc.models import Site
from imroc.models.cycle import STAGE_LABELS, Stage
from imroc.services import access, cycles, set_history
from imroc.services.access import Principal

STAGE_NAMES = {s.value: label for s, label in STAGE_LABELS.items()}


def site_cycles(session: Session, principal: Principal, site: Site, *,
                values: dict | None = None, errors: dict | None = None) -> dict:
    """What the site page shows about the site's cycles, and the lead's form to open one."""
    rows = cycles.list_cycles(session, site=site)
    is_lead = access.is_lead(principal, site)
    return {
        "cycles": rows, "stage_names": STAGE_NAMES,
        # Newest first, with each change of learning set marked where it happened.
        "cycle_entries": list(reversed(set_history.with_moves(
            rows, set_history.moves(session, site=site, cycles=rows)))),
        "open_cycle": next((c for c in rows if c.stage != Stage.closed), None),
        "can_open_cycle": is_lead,
        "meetings": cycles.meeting_options(session, site=site) if is_lead else [],
        "cycle_values": values or {}, "cycle_errors": errors or {},
    }
