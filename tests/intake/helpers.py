"""Helpers for intake tests: run the pipeline's first steps without a Celery worker.

``consultant.queue.send_task`` is replaced by a recorder, so no broker is needed
and nothing is sent.  Processing runs by calling ``workers.tasks.process_message``
as a plain function, synchronously in the test process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.intake.poller import PollResult, poll_mailbox
from consultant.storage.models import InboundMessage


class SentTasks(list[tuple[str, tuple[object, ...]]]):
    """The tasks the code under test enqueued, in order, as (name, args)."""

    def ids(self, name: str) -> list[int]:
        return [int(args[0]) for task, args in self if task == name]  # type: ignore[call-overload]


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[SentTasks]:
    """Record enqueued tasks instead of sending them to a broker."""
    sent = SentTasks()

    def record(name: str, *args: object, **_options: object) -> None:
        sent.append((name, args))

    monkeypatch.setattr("consultant.queue.send_task", record)
    yield sent


def poll_and_process(sent: SentTasks) -> PollResult:
    """Poll the mailbox, then process every message the poll enqueued, in order."""
    from workers.tasks import process_message

    already = len(sent)
    result = poll_mailbox(get_settings())
    for row_id in SentTasks(sent[already:]).ids("process_message"):
        process_message(row_id)
    return result


def message_by_id(session: Session, message_id: str) -> InboundMessage:
    session.expire_all()
    return session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == message_id)
    ).one()
