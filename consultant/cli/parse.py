"""``caseconsultant parse``: show what the pipeline understands of one .eml file.

Reads the file only; nothing is stored and no database is needed.  The loop,
rate-limit and threading checks need the database and are not run here.  A file that
``not_a_message_reason`` does not take for an email message is rejected.  A message
that the pipeline would draft no reply to gets a warning on standard error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from consultant.config import get_settings
from consultant.errors import ConsultantError
from consultant.extraction import extract
from consultant.intake.classify import DENIED, NO_REPLY_ADDRESS, Classification, classify
from consultant.intake.processing import sender_list_reason
from consultant.parsing import ParsedMessage, not_a_message_reason, parse_message


def understood(parsed: ParsedMessage, classification: Classification) -> dict[str, Any]:
    """Return the JSON-ready summary of a parsed message."""
    codes = extract(f"{parsed.subject}\n\n{parsed.question}")
    return {
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "sender": parsed.sender,
        "reply_to": parsed.reply_to,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "date": parsed.date.isoformat() if parsed.date else None,
        "question": parsed.question,
        "classification": {"kind": classification.kind, "reasons": classification.reasons},
        "codes": [{"system": code.system, "code": code.code, "modifiers": code.modifiers}
                  for code in codes],
        "attachments": parsed.attachments,
        "inline_parts": parsed.inline_parts,
        "forwarded": [{"subject": forward.subject, "sender": forward.sender}
                      for forward in parsed.forwarded],
        "defects": parsed.defects,
    }


def classify_offline(parsed: ParsedMessage) -> Classification:
    """Classify *parsed* with the sender lists from the settings, without the database."""
    listed = sender_list_reason(parsed, get_settings())
    if listed:
        return Classification(DENIED, [listed])
    return classify(parsed)


def no_draft_warning(classification: Classification) -> str | None:
    """Return the warning that intake would draft no reply to a message so classified."""
    if classification.answerable:
        return None
    warning = ("warning: the pipeline would keep this message but draft no reply to it "
               f"(classification {classification.kind})")
    if classification.kind == NO_REPLY_ADDRESS:
        return (f"{warning}. Releasing it cannot draft one either, because the message has "
                "no reply address that a reply can be delivered to")
    return f"{warning}. An operator can release it on the web Held mail page to draft a reply"


@click.command("parse")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def parse_command(path: Path, as_json: bool) -> None:
    """Print the Message-ID, subject, sender, question, classification, codes and defects
    of the message in PATH (an .eml file)."""
    raw = path.read_bytes()
    reason = not_a_message_reason(raw)
    parsed = parse_message(raw)
    if reason:
        outcome = ""
        if parsed.sender is None and parsed.reply_to is None:
            outcome = ("The pipeline would keep such input but never draft a reply to it, "
                       "because it names no From or Reply-To address. ")
        raise ConsultantError(
            f"{path} is not an email message ({len(raw)} bytes): {reason}. {outcome}Give the "
            "path of a message saved as an .eml file: header fields, an empty line, then the "
            "body."
        )
    classification = classify_offline(parsed)
    summary = understood(parsed, classification)
    _print_summary(summary, as_json)
    # On standard error, so the JSON output stays one object.
    warning = no_draft_warning(classification)
    if warning:
        click.echo(warning, err=True)


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(f"Message-ID:     {summary['message_id']}")
    click.echo(f"Subject:        {summary['subject']}")
    click.echo(f"Sender:         {summary['sender'] or '-'}")
    kind = summary["classification"]["kind"]
    click.echo(f"Classification: {kind} ({'; '.join(summary['classification']['reasons'])})")
    codes = ", ".join(code["code"] for code in summary["codes"]) or "-"
    click.echo(f"Codes:          {codes}")
    click.echo(f"Attachments:    {', '.join(summary['attachments']) or '-'}")
    click.echo(f"Defects:        {'; '.join(summary['defects']) or '-'}")
    click.echo("")
    click.echo(summary["question"])
