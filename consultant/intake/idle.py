"""Watch the mailbox with IMAP IDLE and poll as soon as the server reports new mail.

IDLE (RFC 2177) keeps one connection open on which the server announces new
messages with an untagged EXISTS response, so a question is stored within about
a second of its delivery instead of at the next scheduled poll.  The watcher only
triggers polls: fetching and storing stay in ``poller.poll_mailbox``, under its
mailbox lease, so a watcher and beat's scheduled polls never fetch at once.

The watcher runs as its own long-lived process (``caseconsultant idle``) and not
as a Celery task.  A task that never ends would hold a worker slot for good, and
with late acknowledgement Redis would hand it to a second worker after every
visibility timeout.  Where the server lacks IDLE the watcher polls every
CASECONSULTANT_POLL_INTERVAL seconds, and beat's scheduled poll keeps running as
the fallback when no watcher runs at all.
"""

from __future__ import annotations

import imaplib
import logging
import threading
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from consultant.config import Settings
from consultant.errors import MailboxUnavailable
from consultant.intake.imap import imap_connection
from consultant.intake.poller import poll_mailbox

log = logging.getLogger(__name__)

# RFC 2177 section 3: servers may drop an IDLE connection after 30 minutes, so it is
# renewed well before; CASECONSULTANT_IDLE_TIMEOUT sets how often (default 5 minutes).
IDLE_CHECK_SECONDS = 1.0


@dataclass
class Backoff:
    """Reconnect delays that double from *initial* up to *maximum* seconds."""

    initial: float = 1.0
    maximum: float = 60.0
    current: float = 0.0

    def next_delay(self) -> float:
        self.current = self.initial if not self.current else min(self.current * 2, self.maximum)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


def watch(settings: Settings, stop: threading.Event) -> None:
    """Watch the mailbox until *stop* is set, reconnecting with backoff after failures."""
    backoff = Backoff(maximum=max(60.0, settings.poll_interval))
    while not stop.is_set():
        try:
            _watch_connection(settings, stop, backoff)
        except (OSError, IMAPClientError, MailboxUnavailable) as error:
            delay = backoff.next_delay()
            log.warning("IMAP watch of host=%s port=%d failed (%s); reconnecting in %.0fs",
                        settings.imap_host, settings.resolved_imap_port, type(error).__name__,
                        delay)
            stop.wait(delay)
    log.info("IMAP watch stopped")


def _poll(settings: Settings, reason: str) -> None:
    result = poll_mailbox(settings)
    log.info("poll after %s stored=%d duplicates=%d skipped=%s", reason, result.stored,
             result.duplicates, result.skipped)


def _watch_connection(settings: Settings, stop: threading.Event, backoff: Backoff) -> None:
    with imap_connection(settings) as client:
        client.select_folder(settings.imap_folder, readonly=True)
        # Mail delivered while no connection was open is fetched first.
        _poll(settings, "connect")
        backoff.reset()
        if b"IDLE" not in client.capabilities():
            log.info("the IMAP server does not offer IDLE; polling every %.0fs",
                     settings.poll_interval)
            while not stop.wait(settings.poll_interval):
                _poll(settings, "interval")
            return
        log.info("watching the mailbox with IMAP IDLE")
        while not stop.is_set():
            try:
                arrived = _idle_once(client, settings.idle_timeout, stop)
            except _PartialResponse:
                # The server was sending something, most likely news of a message.
                # The connection is unusable, so poll and let the caller reconnect.
                _poll(settings, "IDLE reported new mail")
                return
            if arrived:
                _poll(settings, "IDLE reported new mail")


class _PartialResponse(Exception):
    """idle_check read half a response line and the connection had to be dropped."""


def _idle_once(client: IMAPClient, timeout: float, stop: threading.Event) -> bool:
    """Run one IDLE command for up to *timeout* seconds; return True when mail arrived."""
    client.idle()
    waited = 0.0
    arrived = False
    while not stop.is_set() and waited < timeout and not arrived:
        try:
            responses = client.idle_check(timeout=IDLE_CHECK_SECONDS)
        except imaplib.IMAP4.abort as error:
            # NOTE: imapclient (4.1.0 tested) reads IDLE responses from a non-blocking socket and
            # aborts when a line arrives in two TCP segments (mjs/imapclient issue 519).
            if "unterminated line" in str(error):
                raise _PartialResponse from error
            raise
        waited += IDLE_CHECK_SECONDS
        arrived = any(len(item) > 1 and item[1] in (b"EXISTS", b"RECENT") for item in responses)
    client.idle_done()
    return arrived
