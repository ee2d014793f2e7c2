"""``caseconsultant idle``: watch the mailbox with IMAP IDLE and poll on new mail."""

from __future__ import annotations

import signal
import threading

import click

from consultant.cli import configure_service_logging
from consultant.config import get_settings


@click.command()
def idle() -> None:
    """Watch the IMAP folder and store new questions as they arrive (runs until stopped).

    Uses IMAP IDLE where the server offers it and polls every CASECONSULTANT_POLL_INTERVAL
    seconds where it does not.  Run one per mailbox next to beat; polls from both share
    the mailbox lease, so they never fetch at the same time.
    """
    from consultant import logging as service_logging
    from consultant.intake.idle import watch

    settings = get_settings()
    configure_service_logging(settings.log_level)
    service_logging.install(settings.log_format)
    settings.require("imap_host", "imap_username", "imap_password")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    watch(settings, stop)
