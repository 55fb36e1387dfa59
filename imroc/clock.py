"""What time it is for the product: instants in UTC, dates as people in England see them.

The machines run on UTC, but a review due "today" means today in Europe/London: between
midnight and 01:00 British Summer Time the UTC date is still yesterday's.
"""

from datetime import UTC, date, datetime, time
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


def uk_midday(day: date) -> datetime:
    """Midday in England on a date, as a UTC instant (an event known only by its date)."""
    return datetime.combine(day, time(12), tzinfo=UK).astimezone(UTC)
