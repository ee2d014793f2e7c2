"""The dev command's check that its ports are free, against real sockets on loopback."""

from __future__ import annotations

import socket

from consultant.devserver.imap import LOOPBACK, free_port, port_is_free


def test_port_with_listener_is_taken() -> None:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        port = listener.getsockname()[1]

        assert not port_is_free(port)


def test_port_after_stopped_server_is_free() -> None:
    # The server closes its side of a connection first, so that side waits in TIME_WAIT,
    # as after a dev run that was just stopped.
    port = free_port()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, port))
        listener.listen()
        client = socket.create_connection((LOOPBACK, port))
        accepted, _ = listener.accept()
        accepted.close()
        client.recv(1)
        client.close()

    assert port_is_free(port)
