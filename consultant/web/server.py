"""Run the web queue with uvicorn; ``caseconsultant web`` and ``caseconsultant dev`` call run()."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from consultant.errors import ConsultantError
from consultant.storage import migrate
from consultant.web.app import create_app
from consultant.web.config import get_web_settings

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def build_server(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> uvicorn.Server:
    """Return a uvicorn server for the app, not yet started (tests run it in a thread)."""
    trusted_proxies = get_web_settings().trusted_proxies.strip()
    config = uvicorn.Config(
        create_app(), host=host, port=port,
        # Access lines carry only methods, paths with numeric ids and status codes.
        access_log=True, log_config=None, server_header=False,
        # Behind a trusted reverse proxy the client address, which sign-in failures are
        # counted by, comes from X-Forwarded-For. From anyone else the header is ignored.
        proxy_headers=bool(trusted_proxies), forwarded_allow_ips=trusted_proxies or None,
    )
    return uvicorn.Server(config)


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    upgrade_database: bool = True,
    on_start: Callable[[], object] | None = None,
) -> None:
    """Migrate the database unless *upgrade_database* is false, then serve until interrupted.

    A SQLite database that does not exist is not created: run from the wrong folder, the
    server would otherwise serve an empty queue from a new database. *on_start* is
    called once the database is ready, before serving.
    """
    if upgrade_database:
        migrate.upgrade(create=False)
    # Bound first, so that a taken port is reported before the queue is logged as listening.
    listener = bind(host, port)
    if on_start is not None:
        on_start()
    log.info("web queue listening on http://%s:%d/login", host, port)
    build_server(host, port).run(sockets=[listener])


def bind(host: str, port: int) -> socket.socket:
    """Return a TCP socket bound to *host* and *port*, or raise ConsultantError if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: connections of a stopped server left in TIME_WAIT do not block it.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ConsultantError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; stop the program "
            "that uses the port or choose another with --port"
        ) from error
    return listener


@dataclass
class BackgroundServer:
    """A web server running in a daemon thread of this process."""

    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to finish its requests and exit; wait up to *timeout* seconds."""
        self.server.should_exit = True
        self.thread.join(timeout=timeout)


def _serve(server: uvicorn.Server) -> None:
    # uvicorn calls sys.exit(1) when it cannot bind; in a thread that only ends the thread.
    try:
        server.run()
    except SystemExit as error:
        log.error("web server thread exited with code %s", error.code)


def start_in_thread(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                    timeout: float = 20.0) -> BackgroundServer:
    """Start the web queue in a daemon thread and return once it accepts connections.

    uvicorn installs no signal handlers outside the main thread, so the caller stops the
    server with ``stop()``.  Raises RuntimeError if it is not listening within *timeout*
    seconds, for example because the port is taken.
    """
    server = build_server(host, port)
    thread = threading.Thread(target=_serve, args=(server,), name="caseconsultant-web",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the web server did not start on {host}:{port}; "
                               "is the port already in use?")
        time.sleep(0.05)
    return BackgroundServer(server, thread, f"http://{host}:{port}")
