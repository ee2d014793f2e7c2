"""The IDLE watcher: new mail is stored without a scheduled poll, and a lost server is re-joined."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.devserver.imap import free_port, start_imap_server
from consultant.intake.idle import Backoff, watch
from consultant.storage.models import InboundMessage
from tests.conftest import append_message
from tests.intake.test_poller import question


def _stored(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def _wait_for(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def watcher(mail_settings, db_url: str) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(get_settings(), stop), daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_backoff_doubles_to_maximum() -> None:
    backoff = Backoff(initial=1, maximum=10)

    delays = [backoff.next_delay() for _ in range(6)]
    backoff.reset()

    assert delays == [1, 2, 4, 8, 10, 10]
    assert backoff.next_delay() == 1


def test_idle_stores_new_mail(session: Session, imap_server, watcher, caplog) -> None:
    caplog.set_level("INFO", logger="consultant.intake.idle")
    assert _wait_for(lambda: "watching the mailbox with IMAP IDLE" in caplog.text)

    append_message(imap_server, question(1))

    assert _wait_for(lambda: "poll after IDLE reported new mail stored=1" in caplog.text)
    assert _stored(session) == 1


def test_idle_reconnects_after_server_restart(
    session: Session, imap_server, watcher, caplog
) -> None:
    caplog.set_level("INFO", logger="consultant.intake.idle")
    assert _wait_for(lambda: "watching the mailbox with IMAP IDLE" in caplog.text)

    imap_server.stop()
    restarted = start_imap_server(imap_server.base_dir, imap_server.username,
                                  imap_server.password, port=imap_server.port)
    try:
        assert _wait_for(lambda: "reconnecting in" in caplog.text)
        append_message(restarted, question(2))
        assert _wait_for(lambda: _stored(session) == 1, timeout=30)
    finally:
        restarted.stop()


def test_idle_warning_names_server(session: Session, imap_server, watcher, caplog) -> None:
    caplog.set_level("INFO", logger="consultant.intake.idle")
    assert _wait_for(lambda: "watching the mailbox with IMAP IDLE" in caplog.text)

    imap_server.stop()
    assert _wait_for(lambda: "reconnecting in" in caplog.text)

    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings
    for warning in warnings:
        assert f"host=127.0.0.1 port={imap_server.port} failed" in warning
        assert imap_server.username not in warning
        assert imap_server.password not in warning


def test_idle_command_unreachable_server(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ)
    env.update({
        "CASECONSULTANT_LOG_LEVEL": "INFO",
        "CASECONSULTANT_IMAP_HOST": "127.0.0.1",
        "CASECONSULTANT_IMAP_PORT": str(port),
        "CASECONSULTANT_IMAP_TLS": "none",
        "CASECONSULTANT_IMAP_USERNAME": "coding-help",
        "CASECONSULTANT_IMAP_PASSWORD": "test-password",
    })
    log_path = tmp_path / "idle.log"
    with open(log_path, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "consultant", "idle"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: "reconnecting in" in log_path.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)

    text = log_path.read_text()
    assert code == 0
    assert f"IMAP watch of host=127.0.0.1 port={port} failed (ConnectionRefusedError)" in text
    assert "coding-help" not in text
    assert "test-password" not in text


def test_idle_command_runs_until_terminated(
    session: Session, imap_server, mail_settings, db_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env["CASECONSULTANT_LOG_LEVEL"] = "INFO"
    log_path = tmp_path / "idle.log"
    with open(log_path, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "consultant", "idle"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: "watching the mailbox with IMAP IDLE" in log_path.read_text())
        append_message(imap_server, question(3))
        assert _wait_for(lambda: _stored(session) == 1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)

    text = log_path.read_text()
    assert code == 0
    assert "IMAP watch stopped" in text
    assert "coder3@example.com" not in text
