"""Connecting to the IMAP server named in the settings."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from imapclient import IMAPClient

from consultant.config import Settings, TlsMode

log = logging.getLogger(__name__)


@contextmanager
def imap_connection(settings: Settings) -> Iterator[IMAPClient]:
    """Yield a logged-in IMAPClient; log out on exit.

    Raises OSError (including socket timeouts) when the server cannot be reached and
    imapclient's LoginError when the credentials are rejected.
    """
    settings.require("imap_host", "imap_username", "imap_password")
    context = ssl.create_default_context(cafile=settings.imap_ca_file)
    client = IMAPClient(
        settings.imap_host,
        port=settings.resolved_imap_port,
        ssl=settings.imap_tls is TlsMode.SSL,
        ssl_context=context,
        timeout=settings.imap_timeout,
    )
    try:
        if settings.imap_tls is TlsMode.STARTTLS:
            client.starttls(context)
        client.login(settings.imap_username, settings.imap_password)
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            log.debug("IMAP logout failed; closing the socket", exc_info=True)
            client.shutdown()
