"""Redis restarts mid-run and loses every queued task; the recovery sweep re-drives the work.

Each test starts a redis-server of its own on a free loopback port, without
persistence, so a restart empties the queue the way a failover to an empty
replica would.  The shared Redis of the machine is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from consultant.devserver.imap import LOOPBACK, free_port, wait_for_port
from consultant.storage.models import DraftState
from tests.faults.conftest import (
    FaultService,
    ReplySink,
    append_many,
    drafts_in,
    message_id_of,
    question,
    tally,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgresql]

MESSAGES = 30
OUTAGES = 4


class OwnRedis:
    """A redis-server process on loopback that the test may stop and start."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", LOOPBACK, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_redis_restart_loses_no_work(
    fault_service: FaultService, own_redis: OwnRedis, imap_server,
    reply_sink: tuple[ReplySink, int],
) -> None:
    sink, _port = reply_sink
    fault_service.env["CASECONSULTANT_BROKER_URL"] = own_redis.url
    run = uuid.uuid4().hex[:8]
    messages = [question(number, run) for number in range(MESSAGES)]
    url = fault_service.database_url

    fault_service.start_beat()
    fault_service.start_worker()
    append_many(imap_server, messages[: MESSAGES // 2])
    reviewer = fault_service.run_module("tests.faults.approver", str(MESSAGES))
    wait_until(lambda: drafts_in(url, DraftState.SENT) >= 3, 90, "the first sends", fault_service)

    own_redis.stop()
    append_many(imap_server, messages[MESSAGES // 2 :])
    time.sleep(3)
    own_redis.start()
    # A second outage while the worker reconnects, as a flapping network or failover gives.
    time.sleep(0.5)
    own_redis.stop()
    time.sleep(1)
    own_redis.start()

    wait_until(lambda: drafts_in(url, DraftState.SENT, DraftState.FAILED) == MESSAGES, 180,
               "every draft to settle", fault_service)
    assert reviewer.wait(timeout=60) == 0
    counts = tally(url, [message_id_of(raw) for raw in messages], sink, kills=0)
    print(f"\nRedis restart: {counts.line()}")
    assert counts.lost == 0
    assert counts.duplicated == 0
    assert counts.double_sent == 0
    assert counts.sent == MESSAGES
    assert "mingle" not in (fault_service.logs / "worker.log").read_text(errors="replace")


def test_worker_outlives_outages_during_sends(
    fault_service: FaultService, own_redis: OwnRedis, imap_server,
    reply_sink: tuple[ReplySink, int],
) -> None:
    # Each outage starts while the SMTP server delays its response to the DATA of a reply,
    # so the worker is running a late-acknowledged task when Redis goes away.  The worker must
    # reconnect every time, even when closing the broken connection raises an error.
    sink, _port = reply_sink
    sink.delay = 1.5
    fault_service.env["CASECONSULTANT_BROKER_URL"] = own_redis.url
    run = uuid.uuid4().hex[:8]
    messages = [question(number, run) for number in range(OUTAGES)]
    url = fault_service.database_url

    fault_service.start_beat()
    fault_service.start_worker()
    reviewer = fault_service.run_module("tests.faults.approver", str(OUTAGES))
    worker = fault_service.worker
    assert worker is not None
    for outage, raw in enumerate(messages, start=1):
        sink.answering.clear()
        append_many(imap_server, [raw])
        wait_until(lambda: sink.answering.is_set() or worker.poll() is not None, 90,
                   f"a reply in DATA before outage {outage}", fault_service)
        if worker.poll() is not None:
            pytest.fail(f"the worker exited before outage {outage} of {OUTAGES}\n"
                        f"{fault_service.log_tail(6000)}")
        own_redis.stop()
        time.sleep(1)
        own_redis.start()

    wait_until(lambda: drafts_in(url, DraftState.SENT, DraftState.FAILED) == OUTAGES, 180,
               "every draft to settle", fault_service)
    assert reviewer.wait(timeout=60) == 0
    counts = tally(url, [message_id_of(raw) for raw in messages], sink, kills=0)
    print(f"\nRedis outages during sends: {counts.line()}")
    assert counts.lost == 0
    assert counts.duplicated == 0
    assert counts.double_sent == 0
    assert counts.sent == OUTAGES
    assert worker.poll() is None
