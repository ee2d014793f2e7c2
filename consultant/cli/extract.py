"""``caseconsultant extract``: print the code references found in text on stdin."""

from __future__ import annotations

import html
import json
import re
import sys
from email import policy
from email.parser import BytesParser

import click

from consultant.extraction import CodeReference, extract_message

_TAG = re.compile(r"<[^>]*>")


def _message_parts(raw: bytes) -> tuple[str, str]:
    """Return the subject and body text of an RFC 5322 message.

    The body is the text/plain part, or the text/html part with its tags removed when
    there is no plain part. Body positions are offsets into that text.
    """
    message = BytesParser(policy=policy.default).parsebytes(raw)
    subject = str(message.get("Subject", ""))
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return subject, ""
    body = part.get_content()
    if part.get_content_subtype() == "html":
        body = html.unescape(_TAG.sub(" ", body))
    return subject, body


def _describe(reference: CodeReference) -> str:
    details = []
    if reference.modifiers:
        details.append("modifiers " + ",".join(reference.modifiers))
    if reference.units is not None:
        details.append(f"units {reference.units}")
    if reference.validity is not None:
        details.append(reference.validity)
    places = [f"subject {start}-{end}" for start, end in reference.subject_positions]
    places += [f"{start}-{end}" for start, end in reference.positions]
    details.append("at " + " ".join(places))
    details += reference.notes
    return f"{reference.system:9} {reference.label:13} {'; '.join(details)}"


@click.command("extract")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--subject", default="", help="Subject line to search along with stdin.")
@click.option(
    "--message",
    "as_message",
    is_flag=True,
    help="Read stdin as an email message and search its Subject and text body.",
)
def extract_command(as_json: bool, subject: str, as_message: bool) -> None:
    """Read text on stdin and print the code references found in it.

    Positions are character offsets into the body, and into the subject where marked.
    """
    raw = sys.stdin.buffer.read()
    if as_message:
        subject, body = _message_parts(raw)
    else:
        # Bytes that are not UTF-8 become U+FFFD, so offsets stay one per character.
        body = raw.decode("utf-8", errors="replace")
    # NOTE: no code set is consulted here, so validity stays empty until a checker is wired.
    result = extract_message(subject, body)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    for reference in result.recognised:
        click.echo(_describe(reference))
    if result.unrecognised:
        click.echo("unrecognised:")
        for reference in result.unrecognised:
            click.echo("  " + _describe(reference))
