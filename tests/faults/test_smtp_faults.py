"""SMTP servers that refuse: temporary replies are retried, permanent ones fail the draft."""

from __future__ import annotations

import json
import uuid

import pytest

from consultant.storage import session_scope
from consultant.storage.models import Draft, DraftState, OutboxEntry
from tests.faults.conftest import (
    FaultService,
    ReplySink,
    append_many,
    drafts_in,
    message_id_of,
    question,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.postgresql]


def _run_one_question(fault_service: FaultService, imap_server, count: int = 1) -> list[str]:
    run = uuid.uuid4().hex[:8]
    messages = [question(number, run) for number in range(count)]
    fault_service.start_beat()
    fault_service.start_worker()
    append_many(imap_server, messages)
    reviewer = fault_service.run_module("tests.faults.approver", str(count))
    assert reviewer.wait(timeout=120) == 0
    return [message_id_of(raw) for raw in messages]


def test_421_and_451_then_accept_sends_once(
    fault_service: FaultService, imap_server, reply_sink: tuple[ReplySink, int]
) -> None:
    sink, _port = reply_sink
    sink.script = ["421 4.3.2 Service shutting down, try later",
                   "451 4.3.0 Local error in processing"]
    message_ids = _run_one_question(fault_service, imap_server)
    url = fault_service.database_url

    wait_until(lambda: drafts_in(url, DraftState.SENT) == 1, 90, "the send", fault_service)

    with session_scope(url) as session:
        draft = session.query(Draft).one()
        entry = session.query(OutboxEntry).one()
        history = [(event.from_state, event.to_state, event.note or "") for event in draft.events]
        temporary_failures, attempts = entry.temporary_failures, entry.attempts
    print(f"\nSMTP 421/451: attempts={attempts} temporary_failures={temporary_failures} "
          f"accepted={len(sink.received)}")
    assert sink.rejected == ["421 4.3.2 Service shutting down, try later",
                            "451 4.3.0 Local error in processing"]
    assert sink.replies_by_question() == {message_ids[0]: 1}
    assert temporary_failures == 2
    assert attempts == 3
    assert [note for _from, to, note in history if to == "approved" and "421" in note]
    assert [note for _from, to, note in history if to == "approved" and "451" in note]


def test_550_fails_draft_with_server_reply(
    fault_service: FaultService, imap_server, reply_sink: tuple[ReplySink, int]
) -> None:
    sink, _port = reply_sink
    sink.reject_rcpt = "550 5.1.1 Mailbox unavailable"
    _run_one_question(fault_service, imap_server)
    url = fault_service.database_url

    wait_until(lambda: drafts_in(url, DraftState.FAILED) == 1, 90, "the failure", fault_service)

    listed = json.loads(fault_service.cli("review", "list", "--state", "failed", "--json"))
    shown = fault_service.cli("review", "show", str(listed[0]["id"]))
    print(f"\nSMTP 550: failed drafts listed={len(listed)} accepted={len(sink.received)}")
    assert len(listed) == 1
    assert "550 5.1.1 Mailbox unavailable" in shown
    assert sink.received == []
    with session_scope(url) as session:
        entry = session.query(OutboxEntry).one()
        assert entry.attempts == 1
        assert entry.state.value == "rejected"
