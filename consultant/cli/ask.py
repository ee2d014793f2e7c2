"""``caseconsultant ask``: draft an answer to a question typed on stdin."""

from __future__ import annotations

import json
import sys

import click

from consultant.cli.stdin import check_text
from consultant.drafting.services import answer_question
from consultant.drafting.text import reviewer_notes_by_code
from consultant.errors import EmptyQuestion
from consultant.storage import session_scope

PREVIEW_NOTICE = ("preview of the draft reply: it was not reviewed, stored or sent, although "
                  "its text states that a certified coder reviewed it")


@click.command()
@click.option("--subject", default="", help="Subject line to answer, as in an email.")
@click.option("--json", "as_json", is_flag=True, help="Print the draft and its codes as JSON.")
def ask(subject: str, as_json: bool) -> None:
    """Read a question on stdin and print the draft the email path would produce.

    Nothing is reviewed, stored or sent. A first line on stderr marks the output as
    a preview, because the draft's text describes a reply that a coder reviewed.
    """
    raw = sys.stdin.buffer.read()
    # Bytes that are not UTF-8 become U+FFFD, so offsets stay one per character.
    text = raw.decode("utf-8", errors="replace")
    # Checked before the database is opened, so an empty question gets the same error
    # as on the web page and in the API, with or without a database.
    if not text.strip():
        raise EmptyQuestion()
    check_text(raw)
    with session_scope() as session:
        reply = answer_question(session, subject, text)
    # The reply template states that a certified coder reviewed the answer, which is true
    # only of a reply sent from the review queue.
    click.echo(PREVIEW_NOTICE, err=True)
    if as_json:
        click.echo(json.dumps({"subject": reply.subject, "body": reply.body_text,
                               "codes": reply.codes}, indent=2))
    else:
        click.echo(f"Subject: {reply.subject}\n")
        click.echo(reply.body_text)
        # The notes a reviewer gets beside the draft: an edition that does not cover the date
        # of service, a code set that is not loaded.
        notes = reviewer_notes_by_code(reply.codes)
        if notes:
            click.echo("Notes for the reviewer (not in the reply):")
            for code, note in notes:
                click.echo(f"  {code}: {note}")
