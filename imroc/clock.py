"""What time it is for the product: instants in UTC, dates as people in England see them.

The machines run on UTC, but a review due "today" means today in Europe/London: between
midnight and 01:00 British Summer Time the UTC date is still yesterday's.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in England."""
    return datetime.now(UK).date()


def uk_date_of(moment: datetime) -> date:
    """The date in England of an instant (a UTC timestamp read back from the database)."""
    return moment.astimezone(UK).date()
