"""Benchmark: sample questions from IMAP fetch to stored draft, against stdlib parsing alone.

Starts pymap on a loopback port with a fresh SQLite database, appends N copies of the
bundled sample questions (each with its own Message-ID), then times one poll plus the
drafting of every stored message in this process.  The baseline is the cost of parsing
the same raw messages with ``email.parser.BytesParser`` and the default policy, measured
in the same run, so the ratio gives the number of stdlib parses that one pipeline pass costs.

Usage: python bench/pipeline.py [--messages N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path


def _messages(count: int) -> list[bytes]:
    from consultant.samples import sample_paths

    samples = [path.read_bytes() for path in sample_paths()]
    messages = []
    for number in range(count):
        raw = samples[number % len(samples)]
        header = f"Message-ID: <bench-{number}@bench.example.com>\r\n".encode()
        messages.append(header + b"\r\n".join(
            line for line in raw.replace(b"\r\n", b"\n").split(b"\n")
            if not line.lower().startswith(b"message-id:")
        ))
    return messages


def _time_stdlib(messages: list[bytes]) -> float:
    parser = BytesParser(policy=policy.default)
    start = time.perf_counter()
    for raw in messages:
        message = parser.parsebytes(raw)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
    return time.perf_counter() - start


def _time_pipeline(messages: list[bytes], folder: Path) -> float:
    from imapclient import IMAPClient

    from consultant.config import get_settings
    from consultant.devserver.imap import start_imap_server
    from consultant.intake.poller import poll_mailbox
    from consultant.storage import migrate, session_scope
    from consultant.storage.models import InboundMessage
    from workers.tasks import process_message

    server = start_imap_server(folder / "imap", "coding-help", "bench")
    try:
        os.environ.update({
            "CASECONSULTANT_IMAP_HOST": server.host, "CASECONSULTANT_IMAP_PORT": str(server.port),
            "CASECONSULTANT_IMAP_USERNAME": "coding-help", "CASECONSULTANT_IMAP_PASSWORD": "bench",
            "CASECONSULTANT_IMAP_TLS": "none",
        })
        migrate.upgrade()
        with IMAPClient(server.host, port=server.port, ssl=False) as client:
            client.login("coding-help", "bench")
            for raw in messages:
                client.append("INBOX", raw)

        start = time.perf_counter()
        poll_mailbox(get_settings())
        with session_scope() as session:
            ids = list(session.scalars(InboundMessage.__table__.select().with_only_columns(
                InboundMessage.id)))
        for message_row_id in ids:
            process_message(message_row_id)
        elapsed = time.perf_counter() - start
    finally:
        server.stop()
    if len(ids) != len(messages):
        sys.exit(f"stored {len(ids)} of {len(messages)} messages; the run is not comparable")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="messages to push (default 300)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        os.environ["CASECONSULTANT_DATA_DIR"] = str(folder / "var")
        os.environ["CASECONSULTANT_FROM_ADDRESS"] = "coding-help@example.org"
        # The copies repeat each sample's sender; the per-sender flood limit would hold them.
        os.environ["CASECONSULTANT_SENDER_RATE_LIMIT"] = str(args.messages + 1)
        messages = _messages(args.messages)
        stdlib = _time_stdlib(messages)
        pipeline = _time_pipeline(messages, folder)

    count = len(messages)
    print(f"messages                         {count}")
    print(f"pipeline (fetch -> stored draft) {count / pipeline:10.1f} messages/s")
    print(f"stdlib parse alone               {count / stdlib:10.1f} messages/s")
    print(f"ratio pipeline time / parse time {pipeline / stdlib:10.1f}")


if __name__ == "__main__":
    main()
