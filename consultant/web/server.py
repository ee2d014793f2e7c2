"""Run the web queue with uvicorn; ``caseconsultant web`` and ``caseconsultant dev`` call run()."""

from __future__ import annotations

import logging

import uvicorn

from consultant.storage import migrate
from consultant.web.app import create_app

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def build_server(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> uvicorn.Server:
    """Return a uvicorn server for the app, not yet started (tests run it in a thread)."""
    config = uvicorn.Config(
        create_app(), host=host, port=port,
        # Access lines carry only methods, paths with numeric ids and status codes.
        access_log=True, log_config=None, proxy_headers=False, server_header=False,
    )
    return uvicorn.Server(config)


def run(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, upgrade_database: bool = True) -> None:
    """Migrate the database unless *upgrade_database* is false, then serve until interrupted."""
    if upgrade_database:
        migrate.upgrade()
    log.info("web queue listening on http://%s:%d/login", host, port)
    build_server(host, port).run()
