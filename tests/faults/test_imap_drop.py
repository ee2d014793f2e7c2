"""The IMAP connection drops in the middle of a FETCH; the next poll stores the rest once."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.devserver.imap import LOOPBACK
from consultant.errors import MailboxUnavailable
from consultant.intake.poller import poll_mailbox
from consultant.storage.models import InboundMessage, Mailbox
from tests.faults.conftest import append_many, question

pytestmark = pytest.mark.faults

MESSAGES = 12


class CuttingProxy:
    """A loopback TCP proxy that closes a connection after *cut_after* server bytes, once.

    Every connection gets the limit until one has been cut, so a connection that ends
    below the limit, such as the folder check of a mailbox's first poll, passes whole.
    """

    def __init__(self, target_port: int, cut_after: int) -> None:
        self.target_port = target_port
        self.cut_after = cut_after
        self.cuts = 0
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            limit = self.cut_after if self.cuts == 0 else None
            server = socket.create_connection((LOOPBACK, self.target_port))
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := source.recv(4096):
                if limit is not None and passed + len(data) > limit:
                    sink.sendall(data[: limit - passed])
                    self.cuts += 1
                    break
                sink.sendall(data)
                passed += len(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def cutting_proxy(imap_server) -> Iterator[CuttingProxy]:
    # The greeting, LOGIN, SELECT and SEARCH take well under 2 kB; the cut lands in FETCH.
    proxy = CuttingProxy(imap_server.port, cut_after=2500)
    yield proxy
    proxy.close()


def test_imap_drop_mid_fetch_stores_each_once(
    session: Session, imap_server, mail_settings, cutting_proxy: CuttingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    append_many(imap_server, [question(number, uuid.uuid4().hex[:8]) for number in range(MESSAGES)])
    monkeypatch.setenv("CASECONSULTANT_IMAP_PORT", str(cutting_proxy.port))
    monkeypatch.setenv("CASECONSULTANT_POLL_BATCH_SIZE", "3")
    reset_settings()

    with pytest.raises(MailboxUnavailable):
        poll_mailbox(get_settings())
    stored_before = session.scalar(select(func.count()).select_from(InboundMessage))
    second = poll_mailbox(get_settings())

    stored_after = session.scalar(select(func.count()).select_from(InboundMessage))
    distinct = session.scalar(select(func.count(func.distinct(InboundMessage.message_id))))
    mailbox = session.scalars(select(Mailbox)).one()
    print(f"\nIMAP drop: messages={MESSAGES} cuts={cutting_proxy.cuts} "
          f"stored_before_drop={stored_before} stored_after={stored_after}")
    assert cutting_proxy.cuts == 1
    assert 0 < stored_before < MESSAGES
    assert second.stored == MESSAGES - stored_before
    assert stored_after == MESSAGES
    assert distinct == MESSAGES
    assert mailbox.lease_owner is None
    assert mailbox.last_uid == MESSAGES
