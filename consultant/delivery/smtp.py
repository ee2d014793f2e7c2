"""Building the reply message and handing it to the SMTP relay."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from consultant.config import Settings, TlsMode
from consultant.errors import PermanentDeliveryError, TemporaryDeliveryError
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


def send(message: EmailMessage, settings: Settings) -> None:
    """Send *message* through the configured relay.

    Raises TemporaryDeliveryError for failures worth retrying (no connection,
    timeouts, 4xx replies) and PermanentDeliveryError for 5xx replies.
    """
    settings.require("smtp_host")
    try:
        client = _connect(settings)
        try:
            client.send_message(message)
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        detail = "; ".join(f"{code} {text.decode(errors='replace')}"
                           for code, text in error.recipients.values())
        kind = TemporaryDeliveryError if all(400 <= c < 500 for c in codes) else PermanentDeliveryError
        raise kind(f"recipient refused: {detail}") from error
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        kind = TemporaryDeliveryError if 400 <= error.smtp_code < 500 else PermanentDeliveryError
        raise kind(f"SMTP server replied {error.smtp_code} {text}") from error
    except ssl.SSLCertVerificationError as error:
        # A certificate that does not verify will not verify on retry either.
        raise PermanentDeliveryError(
            f"the SMTP server {settings.smtp_host}:{settings.resolved_smtp_port} presented a "
            f"certificate that failed verification: {error.verify_message}; set "
            "CASECONSULTANT_SMTP_CA_FILE to the CA bundle that signed it"
        ) from error
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout,
            OSError) as error:
        raise TemporaryDeliveryError(
            f"could not reach the SMTP server {settings.smtp_host}:{settings.resolved_smtp_port}: "
            f"{type(error).__name__}: {error}"
        ) from error
