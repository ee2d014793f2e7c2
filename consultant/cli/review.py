"""``caseconsultant review``: the reviewer queue on the command line."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.drafting.text import reviewer_notes
from consultant.errors import ConsultantError, NotFound
from consultant.parsing.attachments import Attachment, format_size, message_attachments
from consultant.review import services, workflow
from consultant.review.errors import AnswerMissing, ClaimedByOther, Superseded
from consultant.storage import session_scope
from consultant.storage.models import Draft, DraftState, User
from consultant.users.services import normalise_username

REVIEWER_HELP = ("Username of your account, as 'caseconsultant users list' shows it. The "
                 "action is recorded under this name, and a draft that someone else has "
                 "claimed in the web queue is refused.")


def _summary(session: Session, draft: Draft) -> dict[str, object]:
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
        "assignee": draft.assignee,
        "superseded_by": [other.id for other in services.superseding_drafts(session, draft)],
    }


def _reviewer_account(session: Session, name: str) -> User:
    """Return the active account that ``--reviewer`` names.

    An invalid, unknown or disabled name raises an error that says how to add or enable
    the account.
    """
    try:
        username = normalise_username(name)
    except ConsultantError:
        raise ConsultantError(
            f"invalid reviewer {name!r}: --reviewer takes the username of an account, as "
            "'caseconsultant users list' shows it. Add an account with 'caseconsultant "
            "users add USERNAME'"
        ) from None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(
            f"no user account named {username!r}. Add it with 'caseconsultant users add "
            f"{username}', or name an account that 'caseconsultant users list' shows"
        )
    if user.disabled:
        raise ConsultantError(
            f"the user account {username!r} is disabled. Enable it with 'caseconsultant "
            f"users disable {username} --enable', or name another account"
        )
    return user


@contextmanager
def _add_cli_advice(draft_id: int) -> Iterator[None]:
    """Raise ClaimedByOther, Superseded and AnswerMissing again as errors that name this
    command's options.

    The block must contain the whole transaction, so that nothing of it is committed.
    """
    try:
        yield
    except ClaimedByOther as error:
        holder = error.assignee or "another reviewer"
        raise ConsultantError(
            f"draft {draft_id} is claimed by {holder} in the web queue. Ask {holder} to "
            "release it, or ask an admin to release it or assign it to you. An admin can "
            "take it over with --take-over"
        ) from None
    except Superseded as error:
        newest = error.newer_ids[-1]
        raise ConsultantError(
            f"{error}. Read the newer question with 'caseconsultant review show {newest}'. "
            "To send this older answer anyway, add --even-if-superseded"
        ) from None
    except AnswerMissing as error:
        raise ConsultantError(
            f"{error} with --answer-file FILE, or give the whole body with --body-file FILE"
        ) from None


# For each draft state: the reason a command cannot act on the draft, and the next step
# that a reviewer still has.
_STATE_ADVICE = {
    DraftState.PENDING_REVIEW: ("it is pending review",
                                "Approve it with 'caseconsultant review approve {id}'"),
    DraftState.APPROVED: ("it is approved", "A worker sends it, so nothing is left to do"),
    DraftState.SENDING: ("a worker is sending it", "Nothing is left to do"),
    DraftState.SENT: ("its reply was sent", "Nothing is left to do"),
    DraftState.FAILED: ("its send failed", "It can be approved again with 'caseconsultant "
                        "review approve {id}', but no longer rejected"),
    DraftState.REJECTED: ("it was rejected by {reviewer}{reason}",
                          "A rejected draft is final: it cannot be approved, edited or "
                          "redrafted, and no reply to its question is sent. A new email from "
                          "the asker is drafted as usual"),
}


def _require_state(draft: Draft, action: str, allowed: frozenset[DraftState]) -> None:
    """Raise an error that names the draft's state and what is left to do, unless it is allowed.

    *action* is the past participle that completes "cannot be", such as "approved".
    """
    if draft.state in allowed:
        return
    reason, advice = _STATE_ADVICE[draft.state]
    values = {"id": draft.id, "reviewer": draft.reviewer or "a reviewer",
              "reason": f" ({draft.reject_reason})" if draft.reject_reason else ""}
    raise ConsultantError(
        f"draft {draft.id} cannot be {action} because {reason.format(**values)}. "
        f"{advice.format(**values)}. Read it with 'caseconsultant review show {draft.id}'"
    )


@click.group()
def review() -> None:
    """List, read, approve and reject draft replies as a user account of the web queue."""


@review.command("list")
@click.option("--state", "states", multiple=True, default=["pending_review"], show_default=True,
              type=click.Choice([state.value for state in DraftState]),
              help="Draft state to list; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(states: tuple[str, ...], as_json: bool) -> None:
    """List drafts, oldest first."""
    with session_scope() as session:
        drafts = services.list_drafts(session, [DraftState(state) for state in states])
        rows = [_summary(session, draft) for draft in drafts]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no drafts")
        return
    click.echo(f"{'ID':>6}  {'State':<14} {'Created (UTC)':<16}  Subject  [codes]")
    for row in rows:
        codes = ", ".join(row["codes"]) or "-"  # type: ignore[arg-type]
        line = (f"{row['id']:>6}  {row['state']:<14} {row['created_at'][:16]}  "
                f"{row['subject']!s:.50}  [{codes}]")
        if row["assignee"] and row["state"] == "pending_review":
            # A claim matters while the draft waits for review; a sent draft keeps its last
            # assignee only as history.
            line += f"  claimed by {row['assignee']}"
        superseded_by: list[int] = row["superseded_by"]  # type: ignore[assignment]
        if superseded_by:
            line += "  superseded by draft " + ", ".join(map(str, superseded_by))
        click.echo(line)


@review.command()
@click.argument("draft_id", type=int)
def show(draft_id: int) -> None:
    """Print a draft with its headers, the question's attachments, codes and history."""
    with session_scope() as session:
        draft = services.get_draft(session, draft_id)
        click.echo(f"Draft {draft.id} (version {draft.version}), {draft.state.value}, "
                   f"case {draft.case.token}")
        if draft.assignee:
            click.echo(f"Claimed by: {draft.assignee}")
        newer = services.superseding_drafts(session, draft)
        if newer and draft.state in workflow.WORKABLE_STATES:
            click.echo(_superseded_warning(newer))
        click.echo(f"To: {draft.to_address}")
        click.echo(f"Subject: {draft.subject}")
        click.echo(f"In-Reply-To: {draft.in_reply_to or '-'}")
        if draft.failure_reason:
            click.echo(f"Last delivery error: {draft.failure_reason}")
        if draft.reject_reason:
            click.echo(f"Rejected: {draft.reject_reason}")
        _echo_attachments(message_attachments(draft.inbound_message.raw))
        if draft.inbound_message.defects:
            click.echo("Read with errors, so the question and its codes may be incomplete; "
                       "check the original message before you answer: "
                       + "; ".join(draft.inbound_message.defects))
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


def _superseded_warning(newer: list[Draft]) -> str:
    newest = newer[-1].id
    return (f"WARNING: this draft answers an earlier question. A newer question of this "
            f"case already has {services.describe_drafts(newer)}.\n"
            f"  Read it with 'caseconsultant review show {newest}' before sending this "
            "reply. Approving this draft needs --even-if-superseded.")


TAKE_OVER_HELP = ("Admins only: take over a draft that another reviewer has claimed, as "
                  "Assign does in the web queue, and record it in the audit trail.")


def _take_over(session: Session, draft_id: int, user: User) -> str | None:
    """Take the draft over for the admin *user*; return the previous assignee, if any."""
    previous = services.get_draft(session, draft_id).assignee
    workflow.take_over(session, draft_id, user)
    return previous if previous not in (None, user.username) else None


def _echo_attachments(attachments: list[Attachment]) -> None:
    if not attachments:
        click.echo("Attachments of the question: none")
        return
    click.echo("Attachments of the question (download them on the draft's web page):")
    for attachment in attachments:
        inline = ", inline image" if attachment.inline else ""
        click.echo(f"  {attachment.number}. {attachment.label} ({attachment.content_type}, "
                   f"{format_size(attachment.size)}{inline})")


def _read_text_file(path: Path, option: str, expected: str) -> str:
    """Read the UTF-8 text file given to *option*; *expected* names its text, such as "answer".

    A leading byte order mark, which Windows editors write, is dropped so that it does
    not reach the reply, and line ends become "\\n" as in a file opened in text mode. A
    file that is not UTF-8, or is empty or white space only, raises ConsultantError
    naming the option and the file.
    """
    data = path.read_bytes()
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise ConsultantError(
            f"{option} {path} is not UTF-8 text, because byte 0x{byte:02x} at offset "
            f"{skipped + error.start} is invalid. Save the file with the UTF-8 encoding and "
            "run the command again. The draft was not changed"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ConsultantError(
            f"{option} {path} is empty. Write the {expected} in the file and run the command "
            "again. The draft was not changed"
        )
    return text


@review.command()
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help=REVIEWER_HELP)
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with the whole edited plain-text body to send instead of the draft's.")
@click.option("--answer-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with the answer text that replaces the draft's answer placeholder.")
@click.option("--take-over", is_flag=True, help=TAKE_OVER_HELP)
@click.option("--even-if-superseded", is_flag=True,
              help="Approve even though a newer question of the same case has its own draft.")
def approve(draft_id: int, reviewer: str, body_file: Path | None, answer_file: Path | None,
            take_over: bool, even_if_superseded: bool) -> None:
    """Approve a draft; a worker then sends it.

    Approving an unclaimed draft claims it for the reviewer, as in the web queue.
    """
    if body_file and answer_file:
        raise click.UsageError("give --body-file or --answer-file, not both")
    body = _read_text_file(body_file, "--body-file", "reply body") if body_file else None
    answer = _read_text_file(answer_file, "--answer-file", "answer") if answer_file else None
    with _add_cli_advice(draft_id), session_scope() as session:
        user = _reviewer_account(session, reviewer)
        _require_state(services.get_draft(session, draft_id), "approved",
                       workflow.WORKABLE_STATES)
        previous = _take_over(session, draft_id, user) if take_over else None
        if answer is not None:
            body = services.fill_answer(services.get_draft(session, draft_id), answer)
        draft = workflow.approve(session, draft_id, user, body, None,
                                 even_if_superseded=even_if_superseded)
        version = draft.version
    if previous:
        click.echo(f"draft {draft_id} taken over from {previous}")
    click.echo(f"draft {draft_id} approved (version {version}); a worker will send it")


@review.command()
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help=REVIEWER_HELP)
@click.option("--reason", required=True, help="Why the draft must not be sent.")
@click.option("--take-over", is_flag=True, help=TAKE_OVER_HELP)
def reject(draft_id: int, reviewer: str, reason: str, take_over: bool) -> None:
    """Reject a draft; nothing is sent.

    Rejecting an unclaimed draft claims it for the reviewer, as in the web queue.
    """
    with _add_cli_advice(draft_id), session_scope() as session:
        user = _reviewer_account(session, reviewer)
        _require_state(services.get_draft(session, draft_id), "rejected",
                       frozenset({DraftState.PENDING_REVIEW}))
        previous = _take_over(session, draft_id, user) if take_over else None
        workflow.reject(session, draft_id, user, reason)
    if previous:
        click.echo(f"draft {draft_id} taken over from {previous}")
    click.echo(f"draft {draft_id} rejected")


@review.command()
@click.argument("draft_ids", type=int, nargs=-1)
@click.option("--all-pending", is_flag=True,
              help="Redraft every draft pending review that no reviewer has edited.")
@click.option("--reviewer", required=True,
              help="Username of your account, recorded as the author of the new version.")
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
        user = _reviewer_account(session, reviewer)
        to_redraft = list(draft_ids)
        if all_pending:
            for draft in services.list_drafts(session):
                if draft.assignee not in (None, user.username):
                    lines.append(f"draft {draft.id} skipped: it is claimed by {draft.assignee}, "
                                 f"so only {draft.assignee} can redraft it until the claim is "
                                 "released")
                    counts["skipped"] += 1
                elif services.edited_by_reviewer(draft) and not force:
                    lines.append(f"draft {draft.id} skipped: a reviewer edited it; redraft it "
                                 "with --force to replace the edit")
                    counts["skipped"] += 1
                else:
                    to_redraft.append(draft.id)
        for draft_id in to_redraft:
            try:
                result = workflow.redraft(session, draft_id, user, force=force)
            except ClaimedByOther as error:
                raise ConsultantError(
                    f"draft {draft_id} is claimed by {error.assignee}, so nothing was "
                    f"redrafted. Ask {error.assignee} or an admin to release it, or leave "
                    "it out"
                ) from None
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
