"""Replies go out over STARTTLS and implicit TLS, verified against the configured CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller

from consultant.config import get_settings, reset_settings
from consultant.delivery.smtp import transmit
from consultant.devserver.imap import LOOPBACK, free_port
from consultant.errors import PermanentDeliveryError


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(LOOPBACK).configure_cert(context)
    return context


@pytest.fixture
def ca_file(authority: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


def send(message: EmailMessage, settings) -> None:  # noqa: ANN001
    """Hand *message* to the relay the way the delivery step does, with no outbox."""
    transmit(message.as_bytes(), str(message["From"]), [str(message["To"])], settings,
             before_data=lambda: True, on_accepted=lambda reply: None)


def reply() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "coding-help@example.org"
    message["To"] = "dana@clinic.example.com"
    message["Subject"] = "Re: 97140"
    message.set_content("Use XU.")
    return message


def configure(monkeypatch: pytest.MonkeyPatch, port: int, mode: str, ca_file: Path | None) -> None:
    monkeypatch.setenv("CASECONSULTANT_SMTP_HOST", LOOPBACK)
    monkeypatch.setenv("CASECONSULTANT_SMTP_PORT", str(port))
    monkeypatch.setenv("CASECONSULTANT_SMTP_TLS", mode)
    if ca_file is not None:
        monkeypatch.setenv("CASECONSULTANT_SMTP_CA_FILE", str(ca_file))
    reset_settings()


@pytest.fixture
def starttls_server(
    server_context: ssl.SSLContext,
) -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(),
                            tls_context=server_context, require_starttls=True)
    controller.start()
    yield controller, handler
    controller.stop()


def test_starttls_delivery(monkeypatch, starttls_server, ca_file: Path) -> None:
    controller, handler = starttls_server
    configure(monkeypatch, controller.port, "starttls", ca_file)

    send(reply(), get_settings())

    assert len(handler.received) == 1
    assert b"Use XU." in handler.received[0]


def test_implicit_tls_delivery(monkeypatch, server_context: ssl.SSLContext, ca_file: Path) -> None:
    handler = RecordingHandler()
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(),
                            ssl_context=server_context)
    controller.start()
    try:
        configure(monkeypatch, controller.port, "ssl", ca_file)
        send(reply(), get_settings())
    finally:
        controller.stop()

    assert len(handler.received) == 1


def test_untrusted_certificate_fails_permanently(monkeypatch, starttls_server) -> None:
    controller, handler = starttls_server
    configure(monkeypatch, controller.port, "starttls", None)

    with pytest.raises(PermanentDeliveryError, match="CASECONSULTANT_SMTP_CA_FILE"):
        send(reply(), get_settings())

    assert handler.received == []


def test_missing_ca_file_is_named(monkeypatch, tmp_path: Path) -> None:
    from consultant.errors import ConfigError

    monkeypatch.setenv("CASECONSULTANT_SMTP_CA_FILE", str(tmp_path / "absent.pem"))
    reset_settings()

    with pytest.raises(ConfigError, match="CASECONSULTANT_SMTP_CA_FILE"):
        get_settings()


def test_poll_over_imap_starttls(
    monkeypatch: pytest.MonkeyPatch, authority: trustme.CA, ca_file: Path, tmp_path: Path, session
) -> None:
    from imapclient import IMAPClient

    from consultant.devserver.imap import start_imap_server
    from consultant.intake.poller import poll_mailbox

    issued = authority.issue_cert(LOOPBACK)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    server = start_imap_server(tmp_path / "imap", "coding-help", "secret", tls_files=(cert, key))
    try:
        for name, value in {"HOST": LOOPBACK, "PORT": str(server.port), "TLS": "starttls",
                            "USERNAME": "coding-help", "PASSWORD": "secret",
                            "CA_FILE": str(ca_file)}.items():
            monkeypatch.setenv(f"CASECONSULTANT_IMAP_{name}", value)
        reset_settings()
        with IMAPClient(LOOPBACK, port=server.port, ssl=False) as client:
            client.starttls(ssl.create_default_context(cafile=str(ca_file)))
            client.login("coding-help", "secret")
            client.append(
                "INBOX", b"From: a@example.com\r\nMessage-ID: <tls@example.com>\r\n\r\n99213\r\n"
            )

        result = poll_mailbox(get_settings())
    finally:
        server.stop()

    assert result.stored == 1
