"""Kill -9 the worker at random moments while questions flow in and replies go out.

CASECONSULTANT_FAULT_MESSAGES (default 300) questions are delivered to the mailbox
while the worker is killed and restarted CASECONSULTANT_FAULT_KILLS (default 20)
times, every 0.5 to CASECONSULTANT_FAULT_MAX_GAP (default 4) seconds.  A reviewer
process approves each draft as it appears, so kills land during polls, drafting
and sends alike.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

import pytest

from consultant.storage.models import DraftState, InboundMessage
from tests.faults.conftest import (
    FaultService,
    ReplySink,
    append_many,
    count_rows,
    drafts_in,
    message_id_of,
    question,
    resolve_unknown_outcomes,
    tally,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.postgresql]

MESSAGES = int(os.environ.get("CASECONSULTANT_FAULT_MESSAGES", "300"))
KILLS = int(os.environ.get("CASECONSULTANT_FAULT_KILLS", "20"))
MAX_GAP = float(os.environ.get("CASECONSULTANT_FAULT_MAX_GAP", "4"))
SEED = int(os.environ.get("CASECONSULTANT_FAULT_SEED", str(random.randrange(1 << 30))))


def test_worker_kills_lose_and_duplicate_nothing(
    fault_service: FaultService, imap_server, reply_sink: tuple[ReplySink, int]
) -> None:
    sink, _port = reply_sink
    chance = random.Random(SEED)
    run = uuid.uuid4().hex[:8]
    messages = [question(number, run) for number in range(MESSAGES)]
    message_ids = [message_id_of(raw) for raw in messages]
    url = fault_service.database_url

    fault_service.start_beat()
    fault_service.start_worker()
    feeder = threading.Thread(target=append_many, args=(imap_server, messages, 0.01))
    feeder.start()
    reviewer = fault_service.run_module("tests.faults.approver", str(MESSAGES))

    for _ in range(KILLS):
        time.sleep(chance.uniform(0.5, MAX_GAP))
        fault_service.kill_worker()
        fault_service.start_worker()
    feeder.join()

    settled = (DraftState.SENT, DraftState.FAILED)
    wait_until(lambda: drafts_in(url, *settled) == MESSAGES, 420, "every draft to settle",
               fault_service)
    assert reviewer.wait(timeout=60) == 0
    counts = tally(url, message_ids, sink, fault_service.kills)
    print(f"\nworker kills (seed {SEED}), before review of unknown outcomes: {counts.line()}")
    assert counts.double_sent == 0
    assert counts.sent == MESSAGES - counts.unknown_outcome + counts.unknown_but_delivered

    resent = resolve_unknown_outcomes(url, sink)
    wait_until(lambda: drafts_in(url, DraftState.SENT) == MESSAGES - counts.unknown_but_delivered,
               120, "the resent drafts", fault_service)
    final = tally(url, message_ids, sink, fault_service.kills)
    print(f"worker kills (seed {SEED}), after resending {resent}: {final.line()}")

    assert count_rows(url, InboundMessage) == MESSAGES
    assert final.lost == 0
    assert final.duplicated == 0
    assert final.double_sent == 0
    assert final.sent == MESSAGES
    assert final.kills == KILLS
