"""Lookups by ids beyond the range of an id column, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.storage.ids import MAX_ID, MIN_ID, equals_id, get_by_id, in_id_range
from consultant.storage.models import Mailbox

# Past int4 (PostgreSQL), past 64 bits (SQLite), and far past both, on either side.
OUT_OF_RANGE = [MAX_ID + 1, 2**63, 10**20, MIN_ID - 1, -(10**20)]


def _mailbox(session: Session) -> Mailbox:
    mailbox = Mailbox(key="desk@127.0.0.1:993/INBOX")
    session.add(mailbox)
    session.commit()
    return mailbox


def test_id_range_bounds() -> None:
    assert in_id_range(MAX_ID)
    assert in_id_range(MIN_ID)
    assert not in_id_range(MAX_ID + 1)
    assert not in_id_range(MIN_ID - 1)


@pytest.mark.parametrize("row_id", OUT_OF_RANGE)
def test_get_by_id_out_of_range_is_none(session: Session, row_id: int) -> None:
    _mailbox(session)

    assert get_by_id(session, Mailbox, row_id) is None


@pytest.mark.parametrize("row_id", [MAX_ID, MIN_ID, 0])
def test_get_by_id_missing_in_range_is_none(session: Session, row_id: int) -> None:
    _mailbox(session)

    assert get_by_id(session, Mailbox, row_id) is None


def test_get_by_id_finds_row(session: Session) -> None:
    mailbox = _mailbox(session)
    session.expunge_all()

    found = get_by_id(session, Mailbox, mailbox.id, with_for_update=True)

    assert found is not None
    assert found.key == mailbox.key


@pytest.mark.parametrize("row_id", OUT_OF_RANGE)
def test_equals_id_out_of_range_matches_nothing(session: Session, row_id: int) -> None:
    _mailbox(session)

    rows = session.scalars(select(Mailbox).where(equals_id(Mailbox.id, row_id))).all()

    assert rows == []


def test_equals_id_matches_row(session: Session) -> None:
    mailbox = _mailbox(session)

    rows = session.scalars(select(Mailbox.key).where(equals_id(Mailbox.id, mailbox.id))).all()

    assert rows == [mailbox.key]
