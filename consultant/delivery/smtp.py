"""Building the reply message and handing it to the SMTP relay, one step at a time.

The SMTP transaction is driven command by command instead of with ``sendmail``, so
the caller can record the moment just before the message data goes out.  From then
on a broken connection leaves the outcome unknown, because the server may have
accepted the data while the client never read the final reply.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO

from consultant.config import Settings, TlsMode
from consultant.errors import (
    DeliveryAborted,
    DeliveryOutcomeUnknown,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from consultant.storage.base import utcnow
from consultant.storage.models import Draft


def build_reply(draft: Draft, settings: Settings) -> EmailMessage:
    """Return the reply as a threaded multipart/alternative message.

    In-Reply-To and References follow RFC 5322 section 3.6.4, so mail clients show
    the reply under the question.
    """
    settings.require("from_address")
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = draft.to_address
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = draft.reply_message_id
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = draft.references
    # RFC 3834: mark the reply as automatic-in-origin so auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(draft.body_text)
    if draft.body_html:
        message.add_alternative(draft.body_html, subtype="html")
    return message


def reply_bytes(message: EmailMessage) -> bytes:
    """Flatten *message* with CRLF line endings, as it goes over SMTP and into IMAP APPEND."""
    buffer = BytesIO()
    BytesGenerator(buffer, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return buffer.getvalue()


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host, settings.resolved_smtp_port, settings.smtp_timeout
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    if settings.smtp_tls is TlsMode.SSL:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
        if settings.smtp_tls is TlsMode.STARTTLS:
            client.starttls(context=context)
    if settings.smtp_username:
        client.login(settings.smtp_username, settings.smtp_password or "")
    return client


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _refusal(
    code: int, reply: bytes | str, step: str
) -> TemporaryDeliveryError | PermanentDeliveryError:
    """Return the error for a rejection: 4xx replies are temporary, every other code permanent."""
    kind = TemporaryDeliveryError if 400 <= code < 500 else PermanentDeliveryError
    return kind(f"{step}: SMTP server replied {code} {_reply_text(reply)}")


def _envelope(client: smtplib.SMTP, envelope_from: str, rcpt_to: list[str], raw: bytes) -> None:
    """Send EHLO, MAIL FROM and RCPT TO; raise on any refusal (nothing was delivered yet)."""
    client.ehlo_or_helo_if_needed()
    options = []
    if not raw.isascii() and client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    code, reply = client.mail(envelope_from, options)
    if code != 250:
        raise _refusal(code, reply, "MAIL FROM rejected")
    for address in rcpt_to:
        code, reply = client.rcpt(address)
        if code not in (250, 251):
            raise _refusal(code, reply, "RCPT TO rejected")


def _data(client: smtplib.SMTP, raw: bytes, before_data: Callable[[], bool]) -> str:
    """Send DATA and the message; return the server's acceptance reply."""
    code, reply = client.docmd("DATA")
    if code != 354:
        raise _refusal(code, reply, "DATA command rejected")
    if not before_data():
        raise DeliveryAborted("the attempt was taken over before the message data went out")
    payload = smtplib._quote_periods(raw)  # noqa: SLF001 - the same dot-stuffing as SMTP.data
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    try:
        client.send(payload + b".\r\n")
        code, reply = client.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise DeliveryOutcomeUnknown(
            f"the connection broke after the message data was sent: {type(error).__name__}"
        ) from error
    if code != 250:
        raise _refusal(code, reply, "message rejected")
    return f"{code} {_reply_text(reply)}"


def transmit(
    raw: bytes, envelope_from: str, rcpt_to: list[str], settings: Settings,
    before_data: Callable[[], bool], on_accepted: Callable[[str], None],
) -> None:
    """Deliver *raw* through the configured relay.

    *before_data* runs after the server accepted the DATA command and before the
    message goes out; when it returns False the transaction stops without sending.
    *on_accepted* gets the server's 250 reply before QUIT, which keeps the time
    between acceptance and its record as short as the network allows.
    Raises TemporaryDeliveryError for failures worth retrying (no connection,
    timeouts, 4xx replies), PermanentDeliveryError for 5xx replies, and
    DeliveryOutcomeUnknown when the connection broke after the data went out.
    """
    settings.require("smtp_host")
    where = f"{settings.smtp_host}:{settings.resolved_smtp_port}"
    try:
        client = _connect(settings)
    except smtplib.SMTPResponseException as error:
        raise _refusal(error.smtp_code, error.smtp_error, "connection rejected") from error
    except ssl.SSLCertVerificationError as error:
        # A certificate that does not verify will not verify on retry either.
        raise PermanentDeliveryError(
            f"the SMTP server {where} presented a certificate that failed verification: "
            f"{error.verify_message}; set CASECONSULTANT_SMTP_CA_FILE to the CA bundle "
            "that signed it"
        ) from error
    except OSError as error:
        raise TemporaryDeliveryError(
            f"could not reach the SMTP server {where}: {type(error).__name__}: {error}"
        ) from error
    try:
        _envelope(client, envelope_from, rcpt_to, raw)
        reply = _data(client, raw, before_data)
        on_accepted(reply)
    except smtplib.SMTPResponseException as error:
        raise _refusal(error.smtp_code, error.smtp_error, "SMTP error") from error
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise TemporaryDeliveryError(
            f"the SMTP server {where} closed the connection before the message data: "
            f"{type(error).__name__}: {error}"
        ) from error
    finally:
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
