"""A send that outlasts the Redis visibility timeout runs twice, and sends once.

Redis (kombu's Redis transport) hands an unacknowledged task to a consumer again
once it has waited CASECONSULTANT_VISIBILITY_TIMEOUT seconds, whether or not the
first worker is still running it.  Here an SMTP server that takes 8 seconds to
reply to the message data holds a send past a 2-second timeout: the task is
delivered a second time while the first run still waits, and the second run finds
the draft already ``sending`` and does nothing.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from consultant.storage.models import DraftState
from tests.faults.conftest import (
    FaultService,
    ReplySink,
    append_many,
    drafts_in,
    question,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.postgresql]

SLOW_REPLY = 8.0


class SlowSink(ReplySink):
    """Accepts each message, but only SLOW_REPLY seconds after its data arrived."""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        await asyncio.sleep(SLOW_REPLY)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def reply_sink() -> tuple[ReplySink, int]:  # type: ignore[override]
    from consultant.devserver.smtp import start_smtp_server

    sink = SlowSink()
    controller = start_smtp_server(sink)
    yield sink, controller.port  # type: ignore[misc]
    controller.stop()


def test_send_longer_than_visibility_timeout(
    fault_service: FaultService, imap_server, reply_sink: tuple[ReplySink, int]
) -> None:
    sink, _port = reply_sink
    fault_service.env.update({
        "CASECONSULTANT_VISIBILITY_TIMEOUT": "2",
        # The recovery sweep must not judge the slow send first.
        "CASECONSULTANT_STUCK_AFTER": "60",
        "CASECONSULTANT_SMTP_TIMEOUT": "30",
    })
    url = fault_service.database_url
    fault_service.start_beat()
    fault_service.start_worker(concurrency=3)
    append_many(imap_server, [question(1, uuid.uuid4().hex[:8])])
    reviewer = fault_service.run_module("tests.faults.approver", "1")
    assert reviewer.wait(timeout=120) == 0

    wait_until(lambda: drafts_in(url, DraftState.SENT) == 1, 90, "the send", fault_service)

    log = (fault_service.logs / "worker.log").read_text(errors="replace")
    task_ids = re.findall(r"Task workers\.tasks\.send_reply\[([0-9a-f-]+)\] received", log)
    first_id = task_ids[0]
    deliveries = task_ids.count(first_id)
    skipped = log.count("send skipped for draft=1: not approved")
    print(f"\nvisibility timeout 2s, send {SLOW_REPLY:.0f}s: deliveries={deliveries} "
          f"skipped={skipped} accepted={len(sink.received)}")
    assert deliveries >= 2
    assert skipped >= 1
    assert len(sink.received) == 1
