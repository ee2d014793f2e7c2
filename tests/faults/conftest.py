"""A service under fault injection: worker and beat processes that the test kills and restarts.

The service runs on PostgreSQL and Redis (a queue name of its own on the Redis
database CASECONSULTANT_TEST_FAULTS_REDIS_URL, so parallel runs do not collide)
against a real pymap IMAP server and an aiosmtpd SMTP server on loopback.  Every
timeout of the service is shortened so recovery happens within seconds.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from consultant.devserver.imap import LocalImapServer
from consultant.storage import migrate, session_scope
from consultant.storage.db import reset_engine
from consultant.storage.models import Case, Draft, DraftState, InboundMessage
from tests.conftest import REDIS_URL, SERVICE_ADDRESS, _empty_postgres, mail_environment

FAULTS_REDIS_URL = os.environ.get("CASECONSULTANT_TEST_FAULTS_REDIS_URL",
                                  REDIS_URL.rsplit("/", 1)[0] + "/13")

# Short timeouts so a killed worker's work comes back within seconds.
FAST_RECOVERY = {
    "CASECONSULTANT_POLL_INTERVAL": "1",
    "CASECONSULTANT_POLL_LEASE": "8",
    "CASECONSULTANT_RECOVERY_INTERVAL": "2",
    "CASECONSULTANT_STUCK_AFTER": "6",
    "CASECONSULTANT_VISIBILITY_TIMEOUT": "12",
    "CASECONSULTANT_SEND_RETRY_BASE": "1",
    "CASECONSULTANT_SEND_RETRY_MAX": "4",
    "CASECONSULTANT_SEND_DEADLINE": "120",
    "CASECONSULTANT_SMTP_TIMEOUT": "10",
    "CASECONSULTANT_IMAP_TIMEOUT": "15",
    "CASECONSULTANT_LOG_LEVEL": "INFO",
}


def question(number: int, run: str) -> bytes:
    """Return a synthetic coding question with a Message-ID unique to *run*."""
    return (
        f"From: coder{number}@clinic.example.com\r\nTo: {SERVICE_ADDRESS}\r\n"
        f"Subject: Fault run question {number}\r\n"
        f"Message-ID: <fault-{run}-{number}@clinic.example.com>\r\n\r\n"
        f"Can we bill 99213-25 with 20610 on claim {number}?\r\n"
    ).encode()


def append_many(imap_server: LocalImapServer, messages: list[bytes], pause: float = 0.0) -> None:
    """APPEND *messages* to the service INBOX over one connection."""
    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=30) as client:
        client.login(imap_server.username, imap_server.password)
        for raw in messages:
            client.append("INBOX", raw)
            if pause:
                time.sleep(pause)


@dataclass
class ReplySink:
    """An aiosmtpd handler that records replies and can reject them with scripted replies.

    ``script`` contains replies ("421 ..." or "451 ...") used in turn, one per message,
    in place of accepting at the end of DATA.  ``reject_rcpt`` rejects every recipient.
    ``delay`` holds each answer to DATA for that many seconds, with ``answering`` set
    meanwhile, so a test can act while a send is in progress.
    """

    script: list[str] = field(default_factory=list)
    reject_rcpt: str | None = None
    delay: float = 0.0
    answering: threading.Event = field(default_factory=threading.Event)
    received: list[bytes] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if self.reject_rcpt:
            return self.reject_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        if self.delay:
            self.answering.set()
            await asyncio.sleep(self.delay)
        with self._lock:
            if self.script:
                reply = self.script.pop(0)
                self.rejected.append(reply)
                return reply
            self.received.append(envelope.original_content or b"")
        return "250 Message accepted for delivery"

    def replies_by_question(self) -> Counter[str]:
        """Count accepted replies per In-Reply-To (the question's Message-ID)."""
        parser = BytesHeaderParser()
        with self._lock:
            heads = [parser.parsebytes(raw) for raw in self.received]
        return Counter(str(head["In-Reply-To"]).strip() for head in heads)


@dataclass
class FaultService:
    """Worker and beat processes with the environment they run in."""

    env: dict[str, str]
    cwd: Path
    logs: Path
    worker: subprocess.Popen[bytes] | None = None
    beat: subprocess.Popen[bytes] | None = None
    kills: int = 0
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.env["CASECONSULTANT_DATABASE_URL"]

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as output:
            return subprocess.Popen([sys.executable, "-m", "consultant", *args], env=self.env,
                                    cwd=self.cwd, stdout=output, stderr=subprocess.STDOUT)

    def start_worker(self, concurrency: int = 4) -> None:
        self.worker = self._spawn("worker", ["worker", "--pool", "threads",
                                             "--concurrency", str(concurrency)])

    def start_beat(self) -> None:
        self.beat = self._spawn("beat", ["beat"])

    def kill_worker(self) -> None:
        """SIGKILL the worker, as an out-of-memory killer or a pulled plug would."""
        assert self.worker is not None
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.kills += 1

    def run_module(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{module.rpartition('.')[2]}.log", "ab") as output:
            process = subprocess.Popen([sys.executable, "-m", module, *args], env=self.env,
                                       cwd=self.cwd, stdout=output, stderr=subprocess.STDOUT)
        # Stopped with the service, so a failed test leaves no process for a later one.
        self.helpers.append(process)
        return process

    def cli(self, *args: str) -> str:
        completed = subprocess.run([sys.executable, "-m", "consultant", *args], env=self.env,
                                   cwd=self.cwd, capture_output=True, text=True, timeout=120,
                                   check=False)
        assert completed.returncode == 0, f"{args} failed: {completed.stderr}"
        return completed.stdout

    def stop(self) -> None:
        processes = (self.worker, self.beat, *self.helpers)
        for process in processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, characters: int = 2000) -> str:
        """Return what a timed-out test needs: row states, live processes and each log's end."""
        lines = [f"drafts: {states_of(self.database_url, Draft)}",
                 f"messages: {states_of(self.database_url, InboundMessage)}"]
        for name, process in (("worker", self.worker), ("beat", self.beat)):
            if process is not None:
                lines.append(f"{name}: exit status {process.poll()} (None while it runs)")
        for path in sorted(self.logs.glob("*.log")):
            lines.append(f"--- end of {path.name}")
            lines.append(path.read_text(errors="replace")[-characters:])
        return "\n".join(lines)


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               service: FaultService | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tail = service.log_tail() if service else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")


def count_rows(url: str, model: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def states_of(url: str, model: type[Draft] | type[InboundMessage]) -> dict[str, int]:
    """Count the rows of *model* per state."""
    with session_scope(url) as session:
        rows = session.execute(select(model.state, func.count()).group_by(model.state))
        return {state.value: count for state, count in rows}


def drafts_in(url: str, *states: DraftState) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Draft)
                              .where(Draft.state.in_(states))) or 0


@dataclass
class Tally:
    """The counts a fault run reports."""

    messages: int
    kills: int
    lost: int
    duplicated: int
    double_sent: int
    unknown_outcome: int
    unknown_but_delivered: int
    sent: int

    def line(self) -> str:
        return " ".join(f"{name}={value}" for name, value in vars(self).items())


_drafted = Draft.inbound_message_id == InboundMessage.id
_unknown_outcome = Draft.failure_reason.like("outcome unknown%")


def tally(url: str, message_ids: list[str], sink: ReplySink, kills: int) -> Tally:
    """Compare what was delivered to the mailbox with what the database and SMTP server hold."""
    with session_scope(url) as session:
        stored = Counter(session.scalars(select(InboundMessage.message_id)))
        drafted = Counter(session.scalars(
            select(InboundMessage.message_id).join(Draft, _drafted)))
        with_case = set(session.scalars(select(InboundMessage.message_id)
                                        .where(InboundMessage.case_id.is_not(None))))
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        unknown = list(session.scalars(
            select(InboundMessage.message_id).join(Draft, _drafted)
            .where(Draft.state == DraftState.FAILED, _unknown_outcome)))
    replies = sink.replies_by_question()
    lost = sum(1 for mid in message_ids if not drafted[mid] or mid not in with_case)
    duplicated = (sum(n - 1 for n in stored.values() if n > 1)
                  + sum(n - 1 for n in drafted.values() if n > 1) + max(0, cases - len(stored)))
    return Tally(
        messages=len(message_ids), kills=kills, lost=lost, duplicated=duplicated,
        double_sent=sum(n - 1 for n in replies.values() if n > 1), unknown_outcome=len(unknown),
        unknown_but_delivered=sum(1 for mid in unknown if replies[mid]),
        sent=sum(1 for mid in message_ids if replies[mid] == 1),
    )


def message_id_of(raw: bytes) -> str:
    match = re.search(rb"Message-ID: (<[^>]+>)", raw)
    assert match
    return match.group(1).decode()


@pytest.fixture
def reply_sink() -> Iterator[tuple[ReplySink, int]]:
    """A ReplySink served by aiosmtpd on a free loopback port."""
    from consultant.devserver.smtp import start_smtp_server

    sink = ReplySink()
    controller = start_smtp_server(sink)
    yield sink, controller.port
    controller.stop()


@pytest.fixture
def fault_service(
    tmp_path: Path, postgres_server_url: str, imap_server: LocalImapServer,
    reply_sink: tuple[ReplySink, int], monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FaultService]:
    """A migrated PostgreSQL database and the environment of a worker on Redis (not started)."""
    _empty_postgres(postgres_server_url)
    migrate.upgrade(postgres_server_url)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CASECONSULTANT_")}
    env.update(mail_environment(imap_server, reply_sink[1]))
    env.update(FAST_RECOVERY)
    env.update({
        "CASECONSULTANT_DATA_DIR": str(tmp_path / "var"),
        "CASECONSULTANT_DATABASE_URL": postgres_server_url,
        "CASECONSULTANT_BROKER_URL": FAULTS_REDIS_URL,
        "CASECONSULTANT_QUEUE": f"faults-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    })
    monkeypatch.setenv("CASECONSULTANT_DATABASE_URL", postgres_server_url)
    logs = tmp_path / "logs"
    logs.mkdir()
    service = FaultService(env, tmp_path, logs)
    yield service
    service.stop()
    reset_engine()
    _delete_queue_keys(env["CASECONSULTANT_BROKER_URL"], env["CASECONSULTANT_QUEUE"])


def _delete_queue_keys(broker_url: str, queue: str) -> None:
    """Delete the keys of this run's queue, so a shared Redis database keeps no leftovers."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=5)
    try:
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
    except redis.ConnectionError:
        pass
    finally:
        client.close()


def resolve_unknown_outcomes(url: str, sink: ReplySink) -> int:
    """Act as the reviewer for drafts whose send outcome is unknown; return how many were resent.

    The reviewer checks with the recipient (here: the SMTP sink) and approves the
    draft again only when the reply never arrived.
    """
    from consultant.review import services

    replies = sink.replies_by_question()
    resent = 0
    with session_scope(url) as session:
        drafts = session.scalars(select(Draft).where(
            Draft.state == DraftState.FAILED, Draft.failure_reason.like("outcome unknown%"))).all()
        for draft in drafts:
            if replies[draft.inbound_message.message_id] == 0:
                services.approve(session, draft.id, "fault-reviewer")
                resent += 1
    return resent
