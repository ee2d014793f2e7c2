"""``caseconsultant dev`` refuses ports it cannot listen on before it starts anything."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.devserver.imap import LOOPBACK, free_port, start_imap_server
from consultant.errors import ConsultantError


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port that a listening socket of the test holds."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_dev_names_the_port_in_use(runner: CliRunner, taken_port: int, tmp_path: Path) -> None:
    result = runner.invoke(main, ["dev", "--imap-port", str(taken_port),
                                  "--smtp-port", str(free_port()), "--web-port", str(free_port())])

    assert result.exit_code == 1
    assert f"port {taken_port} (--imap-port)" in result.output
    assert "caseconsultant is running" not in result.output.lower()
    # Nothing was started or migrated.
    assert not (tmp_path / "var" / "dev.toml").exists()


def test_dev_refuses_one_port_for_two_servers(runner: CliRunner) -> None:
    port = str(free_port())

    result = runner.invoke(main, ["dev", "--imap-port", port, "--smtp-port", port,
                                  "--web-port", str(free_port())])

    assert result.exit_code == 1
    assert "must be three different ports" in result.output


def test_imap_server_refuses_a_port_in_use(taken_port: int, tmp_path: Path) -> None:
    with pytest.raises(ConsultantError, match=f"port {taken_port} on 127.0.0.1 is in use"):
        start_imap_server(tmp_path / "imap", "coder", "a password", port=taken_port)
