"""``caseconsultant review``: the reviewer queue on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from consultant.drafting.text import reviewer_notes
from consultant.review import services
from consultant.storage import session_scope
from consultant.storage.models import Draft, DraftState


def _summary(draft: Draft) -> dict[str, object]:
    message = draft.inbound_message
    return {
        "id": draft.id,
        "state": draft.state.value,
        "case": draft.case.token,
        "message_id": message.message_id,
        "subject": message.subject,
        "codes": [code["code"] for code in draft.codes],
        "created_at": draft.created_at.isoformat(),
        "version": draft.version,
    }


@click.group()
def review() -> None:
    """List, read, approve and reject draft replies."""


@review.command("list")
@click.option("--state", "states", multiple=True, default=["pending_review"], show_default=True,
              type=click.Choice([state.value for state in DraftState]),
              help="Draft state to list; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(states: tuple[str, ...], as_json: bool) -> None:
    """List drafts, oldest first."""
    with session_scope() as session:
        drafts = services.list_drafts(session, [DraftState(state) for state in states])
        rows = [_summary(draft) for draft in drafts]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no drafts")
        return
    click.echo(f"{'ID':>6}  {'State':<14} {'Created (UTC)':<16}  Subject  [codes]")
    for row in rows:
        codes = ", ".join(row["codes"]) or "-"  # type: ignore[arg-type]
        click.echo(f"{row['id']:>6}  {row['state']:<14} {row['created_at'][:16]}  "
                   f"{row['subject']!s:.50}  [{codes}]")


@review.command()
@click.argument("draft_id", type=int)
def show(draft_id: int) -> None:
    """Print a draft with its headers, codes and history."""
    with session_scope() as session:
        draft = services.get_draft(session, draft_id)
        click.echo(f"Draft {draft.id} (version {draft.version}), {draft.state.value}, "
                   f"case {draft.case.token}")
        click.echo(f"To: {draft.to_address}")
        click.echo(f"Subject: {draft.subject}")
        click.echo(f"In-Reply-To: {draft.in_reply_to or '-'}")
        if draft.failure_reason:
            click.echo(f"Last delivery error: {draft.failure_reason}")
        if draft.reject_reason:
            click.echo(f"Rejected: {draft.reject_reason}")
        click.echo("")
        click.echo(draft.body_text)
        notes = [(code["code"], note) for code in draft.codes for note in reviewer_notes(code)]
        if notes:
            click.echo("Notes for the reviewer (not in the reply):")
            for code, note in notes:
                click.echo(f"  {code}: {note}")
        click.echo("History:")
        for event in draft.events:
            change = (f"{event.from_state} -> {event.to_state}" if event.from_state
                      else f"created as {event.to_state}")
            click.echo(f"  {event.at:%Y-%m-%d %H:%M:%S} {change} by {event.actor}"
                       + (f": {event.note}" if event.note else ""))


@review.command()
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="Name of the approving reviewer.")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with the whole edited plain-text body to send instead of the draft's.")
@click.option("--answer-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with the answer text that replaces the draft's answer placeholder.")
def approve(draft_id: int, reviewer: str, body_file: Path | None, answer_file: Path | None) -> None:
    """Approve a draft; a worker then sends it."""
    if body_file and answer_file:
        raise click.UsageError("give --body-file or --answer-file, not both")
    body = body_file.read_text(encoding="utf-8") if body_file else None
    answer = answer_file.read_text(encoding="utf-8") if answer_file else None
    if answer_file is not None and not (answer or "").strip():
        raise click.UsageError(f"the answer file {answer_file} is empty; write the answer in it")
    with session_scope() as session:
        if answer is not None:
            body = services.fill_answer(services.get_draft(session, draft_id), answer)
        draft = services.approve(session, draft_id, reviewer, body)
        version = draft.version
    click.echo(f"draft {draft_id} approved (version {version}); a worker will send it")


@review.command()
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="Name of the rejecting reviewer.")
@click.option("--reason", required=True, help="Why the draft must not be sent.")
def reject(draft_id: int, reviewer: str, reason: str) -> None:
    """Reject a draft; nothing is sent."""
    with session_scope() as session:
        services.reject(session, draft_id, reviewer, reason)
    click.echo(f"draft {draft_id} rejected")


@review.command()
@click.argument("draft_ids", type=int, nargs=-1)
@click.option("--all-pending", is_flag=True,
              help="Redraft every draft pending review that no reviewer has edited.")
@click.option("--reviewer", required=True, help="Name recorded as the author of the new version.")
@click.option("--force", is_flag=True,
              help="Also redraft a draft a reviewer has edited; the edit stays in its history.")
def redraft(draft_ids: tuple[int, ...], all_pending: bool, reviewer: str, force: bool) -> None:
    """Render drafts again from the code sets and templates loaded now.

    Run it after importing a code set or changing a reply template, so drafts made
    before the change describe their codes as the new data does. A draft whose text
    would not change keeps its version.
    """
    if draft_ids and all_pending:
        raise click.UsageError("give draft ids or --all-pending, not both")
    if not draft_ids and not all_pending:
        raise click.UsageError("give the ids of the drafts to redraft, or --all-pending")
    # All drafts are redrafted in one transaction, so the lines are printed only after
    # its commit. A failing draft rolls back every other redraft of the run.
    lines: list[str] = []
    counts = {"redrafted": 0, "unchanged": 0, "skipped": 0}
    with session_scope() as session:
        to_redraft = list(draft_ids)
        if all_pending:
            for draft in services.list_drafts(session):
                if services.edited_by_reviewer(draft) and not force:
                    lines.append(f"draft {draft.id} skipped: a reviewer edited it; redraft it "
                                 "with --force to replace the edit")
                    counts["skipped"] += 1
                else:
                    to_redraft.append(draft.id)
        for draft_id in to_redraft:
            result = services.redraft(session, draft_id, reviewer, force=force)
            lines.append(_redraft_line(result))
            counts["redrafted" if result.new_version else "unchanged"] += 1

    for line in lines:
        click.echo(line)
    total = sum(counts.values())
    if all_pending and total == 0:
        click.echo("no draft pending review to redraft")
    elif all_pending or total > 1:
        click.echo(_redraft_summary(counts, all_pending))


def _redraft_summary(counts: dict[str, int], all_pending: bool) -> str:
    total = sum(counts.values())
    noun = "draft" if total == 1 else "drafts"
    summary = f"{counts['redrafted']} redrafted, {counts['unchanged']} unchanged"
    if all_pending:
        return f"{total} {noun} pending review: {summary}, {counts['skipped']} skipped"
    return f"{total} {noun}: {summary}"


def _redraft_line(result: services.RedraftResult) -> str:
    draft = result.draft
    if result.new_version:
        count = len(draft.codes)
        return (f"draft {draft.id} redrafted as version {draft.version} with {count} "
                f"code{'' if count == 1 else 's'}")
    line = f"draft {draft.id} unchanged: the new text is the same as version {draft.version}"
    if result.codes_updated:
        line += "; its code lookups were updated"
    return line
