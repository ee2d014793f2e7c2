"""``caseconsultant extract``: print the code references found in text on stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from consultant.cli.stdin import check_text
from consultant.codes.models import CodeRelease
from consultant.config import get_settings
from consultant.drafting.checker import KnowledgeBaseChecker
from consultant.errors import ConsultantError
from consultant.extraction import CodeReference, extract_message
from consultant.parsing import not_a_message_reason, parse_message
from consultant.storage import session_scope


def _message_parts(raw: bytes, subject: str) -> tuple[str, str]:
    """Return the subject and body text of an email message as the pipeline reads them.

    Raises ConsultantError when *raw* is empty. Input that is not an email message
    (see ``not_a_message_reason``) is read as plain text with *subject*, so a first
    line such as "Dx: M54.50" stays in the body. A message with defects is read as
    intake reads it. The body is the text/plain parts, or the HTML part as text when
    there is none, with forwarded messages appended, and body positions are offsets
    into it.
    """
    if not raw.strip():
        raise ConsultantError(
            "standard input is empty; pipe an email message in, for example: "
            "caseconsultant extract --message < question.eml"
        )
    reason = not_a_message_reason(raw)
    if reason:
        body = check_text(raw).decode("utf-8", errors="replace")
        click.echo(f"note: standard input is not an email message ({reason}), so all of it "
                   "is read as the body", err=True)
        return subject, body
    parsed = parse_message(raw)
    return parsed.subject, parsed.body


def _describe(reference: CodeReference) -> str:
    details = []
    if len(reference.modifier_sets) > 1:
        # Written with different modifiers in different places: "RT / LT / 50".
        details.append("modifiers " + " / ".join(",".join(s) for s in reference.modifier_sets))
    elif reference.modifiers:
        details.append("modifiers " + ",".join(reference.modifiers))
    if len(reference.unit_lines) > 1:
        # Written on lines with different units: "J9305 x 95" and "J9305-JW x 5".
        details.append("lines " + " / ".join(
            f"{'-'.join([reference.code, *written])} x{units}"
            for written, units in reference.unit_lines
        ))
    elif reference.units is not None:
        details.append(f"units {reference.units}")
    if reference.validity is not None:
        details.append(reference.validity)
    places = [f"subject {start}-{end}" for start, end in reference.subject_positions]
    places += [f"{start}-{end}" for start, end in reference.positions]
    details.append("at " + " ".join(places))
    details += reference.notes
    return f"{reference.system:9} {reference.label:13} {'; '.join(details)}"


@contextmanager
def _checker() -> Iterator[KnowledgeBaseChecker | None]:
    """Yield a checker over the configured database, or None when it has no code tables yet."""
    url = make_url(get_settings().resolved_database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        yield None
        return
    try:
        with session_scope() as session:
            session.execute(select(CodeRelease.id).limit(1))
            yield KnowledgeBaseChecker(session)
    except (OperationalError, ProgrammingError):
        # Without a migrated database the codes are extracted but not validated.
        yield None


def _unchecked(
    references: list[CodeReference], checker: KnowledgeBaseChecker | None
) -> set[int]:
    """Return the ids of the references that the lookup can neither confirm nor reject.

    Without a checker that is every reference. With one, it is each code whose set is
    not loaded (no validity: CPT codes until a licensed file is imported) and each code
    missing from an edition that is not in force. Every code of a set whose edition
    used has ended gets the checker's note on that edition, as drafts and lookups do: a
    code found there may have changed since, and one missing may be new.
    """
    if checker is None:
        return {id(reference) for reference in references}
    unchecked = set()
    for reference in references:
        if reference.validity is None or checker.unchecked(reference.system, reference.code):
            unchecked.add(id(reference))
        note = checker.expired_note(reference.system, reference.code)
        if note and note not in reference.notes:
            reference.notes.append(note)
    return unchecked


@click.command("extract")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--subject", default="", help="Subject line to search along with stdin.")
@click.option(
    "--message",
    "as_message",
    is_flag=True,
    help="Read stdin as an email message and search its Subject and text body; input "
    "that is not an email message is searched whole as plain text.",
)
def extract_command(as_json: bool, subject: str, as_message: bool) -> None:
    """Read text on stdin and print the code references found in it.

    Positions are character offsets into the body, and into the subject where marked.
    """
    raw = sys.stdin.buffer.read()
    if as_message:
        subject, body = _message_parts(raw, subject)
    else:
        # Bytes that are not UTF-8 become U+FFFD, so offsets stay one per character.
        body = check_text(raw).decode("utf-8", errors="replace")
    with _checker() as checker:
        result = extract_message(subject, body, checker)
        unchecked = _unchecked(result.references, checker)
    if as_json:
        # One object per code. "validity" is "unrecognised" for a shape no loaded set has,
        # and "unchecked" is true when the lookup can neither confirm nor reject the code.
        click.echo(json.dumps(
            [dict(reference.to_dict(), unchecked=id(reference) in unchecked)
             for reference in result.references],
            indent=2,
        ))
        return
    if not result.references:
        # On stderr, so that a script reading the table gets no lines at all.
        searched = "the subject or the text" if subject else "the text"
        click.echo(f"no codes found in {searched} on standard input", err=True)
        return
    for reference in result.recognised:
        click.echo(_describe(reference))
    if result.unrecognised:
        click.echo("unrecognised:")
        for reference in result.unrecognised:
            click.echo("  " + _describe(reference))
