"""The outbox folder of the dev SMTP server, where each reply gets a file of its own."""

from __future__ import annotations

import smtplib
import threading
from pathlib import Path

import pytest

from consultant.devserver import smtp
from consultant.devserver.imap import LOOPBACK
from consultant.devserver.smtp import DevMailHandler, start_smtp_server
from tests.conftest import SERVICE_ADDRESS

TIMESTAMP = "20261204T093000"


class _FrozenClock:
    """A stand-in for the ``time`` module whose ``strftime`` returns one fixed second."""

    @staticmethod
    def strftime(_format: str) -> str:
        return TIMESTAMP


def _reply(text: str) -> bytes:
    return (f"From: {SERVICE_ADDRESS}\r\nTo: coder@clinic.example.com\r\n"
            f"Subject: Re: question\r\n\r\n{text}\r\n").encode()


def _send_through_new_server(outbox: Path, text: str) -> None:
    """Start a dev SMTP server, send one reply through it, and stop it."""
    controller = start_smtp_server(DevMailHandler(SERVICE_ADDRESS, None, outbox))
    try:
        with smtplib.SMTP(LOOPBACK, controller.port, timeout=30) as client:
            client.sendmail(SERVICE_ADDRESS, ["coder@clinic.example.com"], _reply(text))
    finally:
        controller.stop()


def test_restart_keeps_earlier_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtp, "time", _FrozenClock)
    outbox = tmp_path / "outbox"

    _send_through_new_server(outbox, "reply sent before the restart")
    _send_through_new_server(outbox, "reply sent after the restart")

    names = sorted(path.name for path in outbox.iterdir())
    assert names == [f"{TIMESTAMP}-00001.eml", f"{TIMESTAMP}-00002.eml"]
    assert b"before the restart" in (outbox / names[0]).read_bytes()
    assert b"after the restart" in (outbox / names[1]).read_bytes()


def test_outbox_file_skips_existing_names(tmp_path: Path) -> None:
    existing = {number: tmp_path / f"{TIMESTAMP}-{number:05d}.eml" for number in (1, 2, 4)}
    for number, path in existing.items():
        path.write_bytes(f"earlier reply {number}".encode())

    first = smtp._create_outbox_file(tmp_path, TIMESTAMP, 1, b"new reply")
    second = smtp._create_outbox_file(tmp_path, TIMESTAMP, 1, b"newer reply")

    assert first.name == f"{TIMESTAMP}-00003.eml"
    assert second.name == f"{TIMESTAMP}-00005.eml"
    assert first.read_bytes() == b"new reply"
    assert second.read_bytes() == b"newer reply"
    for number, path in existing.items():
        assert path.read_bytes() == f"earlier reply {number}".encode()


def test_outbox_file_concurrent_writers(tmp_path: Path) -> None:
    payloads = [f"reply {index}".encode() for index in range(8)]
    start = threading.Barrier(len(payloads))

    def write(data: bytes) -> None:
        start.wait(timeout=10)
        smtp._create_outbox_file(tmp_path, TIMESTAMP, 1, data)

    threads = [threading.Thread(target=write, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    files = sorted(tmp_path.iterdir())
    expected_names = [f"{TIMESTAMP}-{number:05d}.eml" for number in range(1, 9)]
    assert [path.name for path in files] == expected_names
    assert sorted(path.read_bytes() for path in files) == sorted(payloads)
