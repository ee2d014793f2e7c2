"""Compare how soon a delivered question is stored: IMAP IDLE against interval polling.

Run: ``python bench/idle_pickup.py [MESSAGES] [POLL_INTERVAL]``.  Both modes run in
one process against one local pymap server and a SQLite database in a temporary
folder.  Each message is appended at a random moment and the time until its row
exists is measured.  The script prints each mode's median and their ratio, which is
the figure to compare across machines; the seconds depend on the machine.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from imapclient import IMAPClient
from sqlalchemy import func, select

from consultant.config import get_settings, reset_settings
from consultant.devserver.imap import LocalImapServer, start_imap_server
from consultant.intake.idle import watch
from consultant.intake.poller import poll_mailbox
from consultant.storage import migrate, session_scope
from consultant.storage.models import InboundMessage


def _stored() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def _append(server: LocalImapServer, number: int) -> None:
    raw = (f"From: coder@example.com\r\nSubject: Bench {number}\r\n"
           f"Message-ID: <bench-{number}-{time.time_ns()}@example.com>\r\n\r\nBench 99213\r\n")
    with IMAPClient(server.host, port=server.port, ssl=False, timeout=30) as client:
        client.login(server.username, server.password)
        client.append("INBOX", raw.encode())


def _measure(server: LocalImapServer, count: int, interval: float) -> list[float]:
    delays = []
    for number in range(count):
        time.sleep(random.uniform(0, interval))
        before = _stored()
        start = time.monotonic()
        _append(server, number)
        while _stored() == before:
            time.sleep(0.01)
        delays.append(time.monotonic() - start)
    return delays


def _poll_every(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        poll_mailbox(get_settings())


def _run_mode(target: Callable[[threading.Event], None], server: LocalImapServer, count: int,
              interval: float) -> float:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    time.sleep(1.0)
    median = statistics.median(_measure(server, count, interval))
    stop.set()
    thread.join(timeout=30)
    return median


def main(count: int, interval: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="idle-bench-"))
    server = start_imap_server(folder / "imap", "bench", "bench-password")
    os.environ.update({
        "CASECONSULTANT_DATA_DIR": str(folder / "var"),
        "CASECONSULTANT_IMAP_HOST": server.host, "CASECONSULTANT_IMAP_PORT": str(server.port),
        "CASECONSULTANT_IMAP_USERNAME": "bench", "CASECONSULTANT_IMAP_PASSWORD": "bench-password",
        "CASECONSULTANT_IMAP_TLS": "none", "CASECONSULTANT_POLL_INTERVAL": str(interval),
    })
    reset_settings()
    migrate.upgrade()
    try:
        idle = _run_mode(lambda stop: watch(get_settings(), stop), server, count, interval)
        polled = _run_mode(lambda stop: _poll_every(interval, stop), server, count, interval)
    finally:
        server.stop()
    print(f"messages per mode: {count}, poll interval: {interval:g}s")
    print(f"median pickup with IDLE: {idle:.3f}s; with polling: {polled:.3f}s; "
          f"polling/IDLE ratio: {polled / idle:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10,
         float(sys.argv[2]) if len(sys.argv) > 2 else 5.0)
