"""Naming convention, time helpers and column types shared by every table.

Imported first by imroc.models so that the naming convention is in place before any
table is defined.
"""

from datetime import UTC
from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer
from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use imroc.clock.utcnow()")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class DayCount(TypeDecorator):
    """Days in whole or half days: NUMERIC in the database, a Decimal in Python. Read back
    through a float (halves are exact in binary) because SQLite has no decimal type."""

    impl = Numeric(5, 1, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else float(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        days = Decimal(str(value))
        return days.quantize(Decimal(1) if days == days.to_integral_value() else Decimal("0.1"))


def _days_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Days in JSON: a number (30, 2.5), not the string pydantic makes of a Decimal.
Days = Annotated[Decimal, PlainSerializer(_days_json, return_type=float, when_used="json")]
