"""Connecting to the IMAP server named in the settings."""

from __future__ import annotations

import ast
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from consultant.config import Settings, TlsMode

log = logging.getLogger(__name__)

# The text of a bytes object as repr() writes it, such as b'[AUTHENTICATIONFAILED] ...'.
_BYTES_REPR = re.compile(r"b'[^'\\]*(?:\\.[^'\\]*)*'|b\"[^\"\\]*(?:\\.[^\"\\]*)*\"", re.DOTALL)


def _response_text(error: LoginError) -> str:
    """Return the server's response in *error* as text.

    imaplib raises a rejected LOGIN with the response as bytes, and imapclient 4.1
    passes on str() of that error, which is the bytes' repr.
    """
    text = str(error)
    if _BYTES_REPR.fullmatch(text):
        return ast.literal_eval(text).decode("utf-8", errors="replace")
    return text


@contextmanager
def imap_connection(settings: Settings) -> Iterator[IMAPClient]:
    """Yield a logged-in IMAPClient; log out on exit.

    Raises OSError (including socket timeouts) when the server cannot be reached and
    imapclient's LoginError, with the server's response as text, when the credentials
    are rejected.
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
        try:
            client.login(settings.imap_username, settings.imap_password)
        except LoginError as error:
            raise LoginError(_response_text(error)) from error
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            log.debug("IMAP logout failed; closing the socket", exc_info=True)
            client.shutdown()
