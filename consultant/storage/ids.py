"""Lookups by ids that come from requests, URLs and the command line.

Every id column is an ``Integer``. PostgreSQL stores it as a 32-bit int4 and raises
"integer out of range" for a larger value in a query. SQLite stores up to 64 bits, and
its driver raises OverflowError beyond that. Ids count up from 1 on both databases, so
no row has an id outside the int4 range. These helpers find no row for such an id
without running a query, so callers report it as they report any unknown id.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute, Session

MIN_ID = -(2**31)
MAX_ID = 2**31 - 1

Row = TypeVar("Row")


def in_id_range(value: int) -> bool:
    """Return whether *value* fits an id column on every supported database."""
    return MIN_ID <= value <= MAX_ID


def get_by_id(session: Session, model: type[Row], row_id: int, **options: Any) -> Row | None:
    """Return the *model* row with primary key *row_id*, or None when there is none.

    *options* go to ``Session.get``. An id outside the int4 range returns None.
    """
    if not in_id_range(row_id):
        return None
    return session.get(model, row_id, **options)


def equals_id(column: InstrumentedAttribute[Any], row_id: int) -> ColumnElement[bool]:
    """Return the condition ``column == row_id``, or one that no row meets when *row_id*
    is outside the int4 range."""
    if not in_id_range(row_id):
        return false()
    return column == row_id
