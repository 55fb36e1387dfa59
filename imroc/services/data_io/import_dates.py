"""Dating imported history by its own cycles, never by the day of the import.

A closed cycle is signed off and closed. When a file leaves its "Closed" date blank, it
closed on the day the site's next cycle started (closing a cycle opens the next), or, for
the site's latest cycle, on its review date, or else on the day it started. When a file
leaves "Signed off" blank, its agreed levels were signed off on that closing date. The dry
run says so, cycle by cycle. A cycle still open past its assessment (plan, do, study or
act) must give the date it was signed off: nothing in the file says when that was.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from imroc.clock import uk_date_of
from imroc.services.data_io.import_checks import Known
from imroc.services.data_io.import_plan import CyclePlan, SitePlan

NOON = time(12, 0, tzinfo=UTC)  # the same day in England, summer or winter
SIGNED = ("plan", "do", "study", "act")


def day(value: date) -> str:
    """30 June 2020."""
    return f"{value.day} {value:%B %Y}"


def _closing(cp: CyclePlan, later: list[tuple[int, date]]) -> tuple[date, str]:
    if later:
        number, started = min(later)
        return started, f"the day cycle {number} started"
    if cp.review_due_on is not None:
        return cp.review_due_on, "its review date"
    return cp.started_on, "the day it started, as it has no review date"


def settle_dates(sp: SitePlan, known: Known,
                 bad: Callable[[int, str], None] | None = None) -> None:
    """Fill in the sign-off and closing of the site's imported cycles, noting each."""
    starts = {n: c.started_on for n, c in sp.cycles.items()}
    if sp.existing_id is not None:
        starts |= {n: d for (s, n), d in known.cycles.items() if s == sp.existing_id}
    for number, cp in sorted(sp.cycles.items()):
        if cp.stage in SIGNED and cp.signed_off_at is None:
            if bad is not None:
                bad(number, f"Cycle {number} is at the {cp.stage} stage, so its agreed "
                    "levels were signed off: enter the date they were")
            continue
        if cp.stage != "closed":
            continue
        blank = []
        if cp.closed_at is None:
            later = [(n, d) for n, d in starts.items() if n > number]
            closing, why = _closing(cp, later)
            if cp.signed_off_at is not None and uk_date_of(cp.signed_off_at) > closing:
                closing, why = uk_date_of(cp.signed_off_at), "the day it was signed off"
            cp.closed_at = datetime.combine(closing, NOON)
            blank.append(("Closed", f"closed on {day(closing)}, {why}"))
        if cp.signed_off_at is None:
            cp.signed_off_at = cp.closed_at
            blank.append(("Signed off", "signed off on its closing date, "
                          f"{day(uk_date_of(cp.closed_at))}"))
        if blank:
            columns = " and ".join(f'"{c}"' for c, _ in blank)
            sp.notes.append(f"Cycle {number}: " + " and ".join(w for _, w in blank) +
                            f", since the file leaves {columns} blank")
