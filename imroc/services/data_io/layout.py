"""The spreadsheet layout shared by exports and imports: eight tables, their columns and types.

Every table names sites by name and cycles by number, never by database id, so a file
exported from one installation can be read into another. The Sites table also gives each
site's identifier (its uid), which stays the same when the site is renamed: an import
finds the site by it. Columns marked `info` are
written for people to read and ignored when a file is imported.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

TEXT, INT, DATE, DATETIME, BOOL = "text", "int", "date", "datetime", "bool"
DAYS = "days"  # whole or half days: 3, 2.5
NUMBER = "number"  # a number with decimals; only in columns written for people to read
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    required: bool = False
    info: bool = False
    max_length: int | None = None


def _c(key: str, header: str, kind: str = TEXT, **kw) -> Column:
    return Column(key, header, kind, **kw)


SITE = _c("site", "Site", required=True, max_length=200)
CYCLE = _c("cycle", "Cycle", INT, required=True)
TABLES: dict[str, tuple[Column, ...]] = {
    "sites": (
        SITE,
        _c("organisation", "Organisation", max_length=200),
        _c("kind", "Kind of site", required=True, max_length=40),
        _c("region", "Region", max_length=100),
        _c("learning_set", "Learning set", max_length=200),
        _c("joined_on", "Joined on", DATE),
        _c("consultancy_days_allocated", "Consultancy days allocated", INT),
        # Worked out from the entries; a count in an older file becomes one entry.
        _c("consultancy_days_used", "Consultancy days used", DAYS),
        _c("uid", "Site identifier", max_length=36),
    ),
    "cycles": (
        SITE, CYCLE,
        _c("framework_version", "Framework version", max_length=40),
        _c("stage", "Stage", required=True, max_length=10),
        _c("started_on", "Started on", DATE, required=True),
        _c("review_due_on", "Review due on", DATE),
        _c("signed_off_at", "Signed off (UTC)", DATETIME),
        _c("closed_at", "Closed (UTC)", DATETIME),
        _c("aim", "Aim", max_length=5000),
        _c("prediction", "Prediction", max_length=5000),
        _c("measures", "Measures", max_length=5000),
        _c("plan_notes", "Plan notes", max_length=5000),
        _c("do_notes", "Do notes", max_length=5000),
        _c("study_notes", "Study notes", max_length=5000),
        _c("act_notes", "Act notes", max_length=5000),
        # The collaborative progress scale (0.5 to 5.0): for reading, not read back in.
        _c("site_progress_score", "Site's progress score", NUMBER, info=True),
        _c("site_progress_comment", "Site's progress comment", info=True),
        _c("facilitator_progress_score", "Facilitator's progress score", NUMBER, info=True),
        _c("facilitator_progress_comment", "Facilitator's progress comment", info=True),
    ),
    "ratings": (
        SITE, CYCLE,
        _c("challenge", "Challenge", INT, required=True),
        _c("rater", "Rater", required=True, max_length=254),
        _c("rater_name", "Rater name", max_length=200),
        _c("perspective", "Perspective", required=True, max_length=20),
        _c("level", "Level", INT),  # blank for a "don't know": an answer without a level
        _c("comment", "Comment", max_length=2000),
        _c("dont_know", "Don't know", BOOL),
    ),
    "consensus": (
        SITE, CYCLE,
        _c("started_on", "Cycle started on", DATE),
        _c("challenge", "Challenge", INT, required=True),
        _c("challenge_title", "Challenge title", info=True),
        _c("level", "Agreed level", INT, required=True),
        _c("level_name", "Level name", info=True),
        _c("rationale", "Rationale", max_length=2000),
        _c("to_reconfirm", "To re-confirm", BOOL),
    ),
    "priorities": (
        SITE, CYCLE,
        _c("rank", "Rank", INT, required=True),
        _c("challenge", "Challenge", INT, required=True),
        _c("current_level", "Current level", INT, required=True),
        _c("target_level", "Target level", INT, required=True),
        _c("reason", "Reason", max_length=2000),
        # Read against the level agreed at the next signed-off assessment (never imported).
        _c("attainment", "Objective", info=True),
        _c("rescored_level", "Level agreed next time", INT, info=True),
    ),
    "actions": (
        SITE, CYCLE,
        _c("number", "Action no.", INT, required=True),
        _c("challenge", "Challenge", INT, required=True),
        _c("title", "Title", required=True, max_length=200),
        _c("owner", "Owner", max_length=200),
        _c("due_on", "Due on", DATE),
        _c("status", "Status", required=True, max_length=20),
        _c("outcome", "Outcome", max_length=10),
        _c("notes", "Notes", max_length=5000),
        _c("carried_from_cycle", "Carried from cycle", INT),
        _c("carried_from_number", "Carried from action no.", INT),
    ),
    # Dated consultancy entries, for people to read (an import keeps only the total).
    "consultancy": (
        _c("site", "Site", info=True),
        _c("delivered_on", "Date", DATE, info=True),
        _c("days", "Days", DAYS, info=True),
        _c("purpose", "What it was for", info=True),
        _c("delivered_by", "Delivered by", info=True),
        _c("peer_trainer", "Peer trainer", BOOL, info=True),
    ),
    # Changes that worked, as shared, for people to read (the exchange document carries them).
    "shared_changes": (
        _c("site", "Site", info=True),
        _c("cycle", "Cycle", INT, info=True),
        _c("number", "Action no.", INT, info=True),
        _c("challenge", "Challenge", INT, info=True),
        _c("challenge_title", "Challenge title", info=True),
        _c("title", "Action title", info=True),
        _c("outcome", "Outcome", info=True),
        _c("scope", "Shared with", info=True),
        _c("learning_set", "Learning set", info=True),
        _c("site_named", "Site named", BOOL, info=True),
        _c("shared_on", "Shared on", DATE, info=True),
        _c("withdrawn_on", "Withdrawn on", DATE, info=True),
        _c("tried_elsewhere", "Times tried elsewhere", INT, info=True),
    ),
}
TABLE_LABELS = {"sites": "Sites", "cycles": "Cycles", "ratings": "Ratings",
                "consensus": "Consensus", "priorities": "Priorities", "actions": "Actions",
                "consultancy": "Consultancy", "shared_changes": "Shared changes"}


def headers(table: str) -> list[str]:
    return [c.header for c in TABLES[table]]


def defuse(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo `defuse` when reading a file back."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def utc_seconds(value: datetime | None) -> datetime | None:
    """Timestamps in files are UTC, to the second (spreadsheets keep no time zone)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None)


def text_cell(value: object) -> str:
    """How a typed value is written in a CSV cell: ISO dates, Yes/No, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(defuse(value))
