"""``caseconsultant quarantine``: see and re-run messages that failed a step or are held."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import func, select

from consultant.config import get_settings
from consultant.errors import ConsultantError
from consultant.intake import quarantine as services
from consultant.storage import session_scope
from consultant.storage.models import InboundMessage, MessageState, QuarantineEntry

# Characters of the error or reason that ``quarantine list`` shows on an entry's line.
LIST_ERROR_WIDTH = 60


def _summary(entry: QuarantineEntry) -> dict[str, object]:
    message = entry.inbound_message
    return {
        "id": entry.id,
        "step": entry.step,
        "error": entry.error,
        "attempts": entry.attempts,
        "size": entry.size,
        "uid": entry.uid,
        "message_row": entry.inbound_message_id,
        "message_id": message.message_id if message is not None else None,
        "state": message.state.value if message is not None else "not stored",
        "classification": message.classification if message is not None else None,
        "reasons": (message.classification_reasons or []) if message is not None else [],
        "created_at": entry.created_at.isoformat(),
        "resolved_at": entry.resolved_at.isoformat() if entry.resolved_at else None,
        "resolution": entry.resolution,
    }


def shorten_at_word(text: str, width: int) -> str:
    """Return *text* on one line, cut at the last space that fits in *width* characters.

    A cut text ends with an ellipsis. When that space would keep less than half of
    *width*, as before a long token, the text is cut inside the word instead.
    """
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    prefix = line[:width - 1]
    at_word = prefix.rpartition(" ")[0]
    if line[width - 1] != " " and len(at_word) >= width // 2:
        prefix = at_word
    return f"{prefix.rstrip(' ;:,')}…"


@click.group()
def quarantine() -> None:
    """List, inspect, retry and release quarantined and held messages."""


@quarantine.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved entries.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(include_resolved: bool, as_json: bool) -> None:
    """List open entries, oldest first.

    An error or reason longer than 60 characters is cut at a word and ends with "…".
    'caseconsultant quarantine show ID' prints it whole.
    """
    with session_scope() as session:
        rows = [_summary(entry) for entry in services.list_entries(session, include_resolved)]
        ignored = session.scalar(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.state == MessageState.IGNORED)) or 0
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no quarantine entries" if include_resolved else "no open quarantine entries")
        # Intake ignores auto-replies, bulk mail and the like without an entry, while the
        # web queue lists them as held, so point there instead of reporting nothing held.
        if ignored:
            click.echo(f"{ignored} ignored messages (auto-replies, bounces, bulk mail, denied "
                       "senders, mail without a reply address) have no entry; the Held mail "
                       "page of the web queue lists and releases them")
    for row in rows:
        error = shorten_at_word(str(row["error"]), LIST_ERROR_WIDTH)
        click.echo(f"{row['id']:>6}  {row['step']:<9} {row['state']:<12} {row['size']:>9} bytes  "
                   f"{row['created_at'][:16]}  {error}")


@quarantine.command()
@click.argument("entry_id", type=int)
@click.option("--raw", is_flag=True, help="Write the raw message bytes to stdout instead.")
def show(entry_id: int, raw: bool) -> None:
    """Print one entry: the step, the error, the message state and why it was held."""
    with session_scope() as session:
        entry = services.get_entry(session, entry_id)
        if raw:
            sys.stdout.buffer.write(services.raw_bytes(entry))
            return
        row = _summary(entry)
    click.echo(json.dumps(row, indent=2))


def _rerun(entry_id: int, release: bool) -> None:
    """Re-run entry *entry_id*; raise ConsultantError when its message stays held or quarantined.

    The new attempt is committed before the error is raised, so the entry keeps the
    new step, error and attempt count. A message that intake now ignores resolves
    the entry, and the output names the reasons.
    """
    settings = get_settings()
    with session_scope() as session:
        entry = services.rerun(session, entry_id, settings, release=release)
        row = _summary(entry)
        message = entry.inbound_message
        reasons = "; ".join(message.classification_reasons or []) if message else ""
    if row["resolution"] == services.IGNORED_RESOLUTION:
        reasons = reasons or "no reason was recorded"
        click.echo(f"entry {entry_id}: resolved without a draft, because intake now ignores the "
                   f"message (row {row['message_row']}): {reasons}. The message is kept until "
                   "'caseconsultant purge' deletes it")
        return
    if row["resolution"]:
        click.echo(f"entry {entry_id}: {row['resolution']} (message row {row['message_row']})")
        return
    state, step, error = row["state"], row["step"], row["error"]
    command = "release" if release else "retry"
    if state == "held" and not release:
        next_step = ("to draft it with the holds lifted, run "
                     f"'caseconsultant quarantine release {entry_id}'")
    else:
        next_step = (f"fix the cause, then run 'caseconsultant quarantine {command} {entry_id}' "
                     f"again, or see the entry with 'caseconsultant quarantine show {entry_id}'")
    raise ConsultantError(
        f"entry {entry_id}: the message (row {row['message_row']}) is still {state} at step "
        f"{step} after {row['attempts']} attempts: {error}; {next_step}"
    )


@quarantine.command()
@click.argument("entry_id", type=int)
def retry(entry_id: int) -> None:
    """Run the message of ENTRY_ID through every intake check and drafting again.

    Exits with status 1, naming the reason, when the message stays held or quarantined.
    """
    _rerun(entry_id, release=False)


@quarantine.command()
@click.argument("entry_id", type=int)
def release(entry_id: int) -> None:
    """Draft the message of ENTRY_ID with the holds lifted (size, rate limit, sender
    lists, classification).

    Exits with status 1, naming the reason, when the message stays quarantined.
    """
    _rerun(entry_id, release=True)
