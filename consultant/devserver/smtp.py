"""A local SMTP server (aiosmtpd) on loopback.

Mail for the service address is appended to the service mailbox over IMAP, as a
real mail server would deliver it; every other message (the replies) is written as
an .eml file to the outbox folder, where a developer opens it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient import IMAPClient

from consultant.devserver.imap import LOOPBACK, LocalImapServer, free_port

log = logging.getLogger(__name__)


@dataclass
class DeliveredMessage:
    """One message the server accepted, with its envelope."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class DevMailHandler:
    """aiosmtpd handler that delivers locally: to the IMAP mailbox or to the outbox folder."""

    service_address: str
    imap: LocalImapServer | None
    outbox: Path
    received: list[DeliveredMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        rcpt_tos = [address.lower() for address in envelope.rcpt_tos]
        with self._lock:
            self.received.append(DeliveredMessage(envelope.mail_from or "", rcpt_tos, data))
        if self.service_address.lower() in rcpt_tos and self.imap is not None:
            self._append_to_mailbox(data)
        others = [address for address in rcpt_tos if address != self.service_address.lower()]
        if others:
            self._write_to_outbox(data)
        return "250 Message accepted for delivery"

    def _append_to_mailbox(self, data: bytes) -> None:
        imap = self.imap
        assert imap is not None
        with IMAPClient(imap.host, port=imap.port, ssl=False, timeout=30) as client:
            client.login(imap.username, imap.password)
            client.append("INBOX", data)
        log.info("delivered %d bytes to the service mailbox", len(data))

    def _write_to_outbox(self, data: bytes) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        with self._lock:
            number = len(self.received)
        path = _create_outbox_file(self.outbox, time.strftime("%Y%m%dT%H%M%S"), number, data)
        log.info("wrote %d bytes to the outbox as %s", len(data), path.name)


def _create_outbox_file(outbox: Path, timestamp: str, number: int, data: bytes) -> Path:
    """Write *data* to a new file ``<timestamp>-<number>.eml`` in *outbox* and return its path.

    The number counts messages since this process started, so a restarted server
    reuses names written within the same second. The file is created exclusively, and
    a taken name moves the number up until a name is free, so no reply is overwritten.
    """
    while True:
        path = outbox / f"{timestamp}-{number:05d}.eml"
        try:
            with path.open("xb") as file:
                file.write(data)
        except FileExistsError:
            number += 1
            continue
        return path


def start_smtp_server(handler: object, port: int | None = None) -> Controller:
    """Start an aiosmtpd server for *handler* on a loopback port; return its controller."""
    controller = Controller(handler, hostname=LOOPBACK, port=port or free_port())
    controller.start()
    return controller
