"""Reviewer actions on drafts: list, show, approve (optionally edited) and reject.

Signed-in web users go through ``consultant.review.workflow``, which adds claims,
saved versions and role checks on top of these functions.

Approving only commits the new state and enqueues the send; no reviewer action
talks to the mail server.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from consultant.drafting.services import Reply, compose_reply
from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.intake.threading import case_history
from consultant.parsing import parse_message
from consultant.queue import enqueue
from consultant.review import queries
from consultant.review.errors import AnswerMissing, StaleVersion, Superseded
from consultant.review.states import transition
from consultant.storage.base import utcnow
from consultant.storage.ids import get_by_id
from consultant.storage.models import Case, Draft, DraftEvent, DraftState, DraftVersion

log = logging.getLogger(__name__)

PLACEHOLDER = "[The reviewer writes the answer here.]"


def list_drafts(session: Session, states: list[DraftState] | None = None) -> list[Draft]:
    """Return drafts in *states* (default: pending review), oldest first."""
    states = states or [DraftState.PENDING_REVIEW]
    query = select(Draft).where(Draft.state.in_(states)).order_by(Draft.created_at, Draft.id)
    return list(session.scalars(query))


def get_draft(session: Session, draft_id: int, *, for_update: bool = False) -> Draft:
    """Return the draft *draft_id*; *for_update* locks its row until the transaction ends."""
    draft = get_by_id(session, Draft, draft_id, with_for_update=for_update,
                      populate_existing=for_update)
    if draft is None:
        raise NotFound(f"no draft with id {draft_id}; see the review queue for the drafts "
                       "there are (caseconsultant review list, or the web queue)")
    return draft


def get_case(session: Session, case_id: int) -> Case:
    """Return the case *case_id*, or raise NotFound."""
    case = get_by_id(session, Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}; a draft's page links to its case, and "
                       "the API gives a draft's case as case_id")
    return case


def superseding_drafts(session: Session, draft: Draft) -> list[Draft]:
    """Return the drafts that answer a newer question in *draft*'s case, oldest first.

    ``queries.newer_in_case`` defines which drafts those are.
    """
    older = aliased(Draft)
    query = (select(Draft).join(older, queries.newer_in_case(Draft, older))
             .where(older.id == draft.id)
             .order_by(Draft.inbound_message_id))
    return list(session.scalars(query))


def describe_drafts(drafts: list[Draft]) -> str:
    """Return "draft 5 (pending review)" for each draft, joined by commas and "and"."""
    names = [f"draft {draft.id} ({draft.state.value.replace('_', ' ')})" for draft in drafts]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _superseded_error(draft: Draft, newer: list[Draft]) -> Superseded:
    if len(newer) == 1:
        follow_up = "a newer question of that case already has a draft"
    else:
        follow_up = f"{len(newer)} newer questions of that case already have drafts"
    return Superseded(
        f"draft {draft.id} answers an earlier question of case {draft.case.token}, and "
        f"{follow_up}: {describe_drafts(newer)}",
        [other.id for other in newer],
    )


def text_to_html(text: str) -> str:
    """Render a reviewer's plain-text body as its HTML alternative.

    The text is kept preformatted, so the aligned code table and quoted lines read the
    same in an HTML mail client as in the plain-text part.
    """
    return ('<!DOCTYPE html>\n<html lang="en"><body>\n'
            '<pre style="font-family: Consolas, Menlo, monospace; white-space: pre-wrap;">'
            f"{html.escape(text)}</pre>\n</body></html>\n")


def _edited_html(draft: Draft, body_text: str) -> str:
    """Return the HTML alternative for *body_text*, the draft's text edited by a reviewer.

    When the edit only replaced the answer placeholder, the drafted HTML keeps its code
    table and gets the same answer; any other edit makes the text the HTML.
    """
    before, found, after = draft.body_text.partition(PLACEHOLDER)
    html_placeholder = html.escape(PLACEHOLDER)
    if (found and draft.body_html and html_placeholder in draft.body_html
            and body_text.startswith(before) and body_text.endswith(after)
            and len(body_text) >= len(before) + len(after)):
        answer = body_text[len(before):len(body_text) - len(after)]
        rendered = "<br>\n".join(html.escape(line) for line in answer.splitlines())
        return draft.body_html.replace(html_placeholder, rendered, 1)
    return text_to_html(body_text)


def fill_answer(draft: Draft, answer: str) -> str:
    """Return the draft's body with the answer placeholder replaced by *answer*."""
    if not answer.strip():
        raise ConsultantError("the answer is empty")
    if draft.state not in (DraftState.PENDING_REVIEW, DraftState.FAILED):
        raise InvalidTransition(f"draft {draft.id} is {draft.state.value}; it cannot be approved")
    if PLACEHOLDER not in draft.body_text:
        raise ConsultantError(
            f"draft {draft.id} has no answer placeholder left; edit the whole body with --body-file"
        )
    return draft.body_text.replace(PLACEHOLDER, answer.strip(), 1)


def record_version(session: Session, draft: Draft, body_text: str, author: str) -> None:
    """Make *body_text* the draft's next version and keep it in the version history.

    The UPDATE names the version the caller read, so of two reviewers saving at once
    only the first succeeds and the other gets StaleVersion. SQLite needs this guard,
    because it ignores the row lock that ``SELECT ... FOR UPDATE`` takes on PostgreSQL.
    """
    read_version = draft.version
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.version == read_version)
        .values(
            body_text=body_text,
            body_html=_edited_html(draft, body_text),
            version=read_version + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(
            f"draft {draft.id} was changed by someone else while this request ran; "
            "reload it and review the changes"
        )
    session.add(DraftVersion(draft_id=draft.id, version=read_version + 1, body_text=body_text,
                             author=author))
    session.flush()
    session.refresh(draft)


def check_version(draft: Draft, expected_version: int | None) -> None:
    """Raise StaleVersion unless *expected_version* is None or the draft's version."""
    if expected_version is not None and draft.version != expected_version:
        raise StaleVersion(
            f"draft {draft.id} is now at version {draft.version}, not version "
            f"{expected_version} that was shown; reload it and review the changes"
        )


def approve(
    session: Session,
    draft_id: int,
    reviewer: str,
    body_text: str | None = None,
    *,
    expected_version: int | None = None,
    even_if_superseded: bool = False,
) -> Draft:
    """Approve a draft, optionally with an edited body, and enqueue its send after commit.

    With *expected_version*, the approval raises StaleVersion unless the stored draft is
    still at that version, so a reviewer never approves text they have not seen.  The
    approved version is stored in ``approved_version``.  A draft that a newer question
    of its case supersedes raises Superseded unless *even_if_superseded* is true.  Text
    that still contains the answer placeholder raises AnswerMissing.
    """
    if not reviewer.strip():
        raise ConsultantError("a reviewer name is required")
    draft = get_draft(session, draft_id, for_update=expected_version is not None)
    check_version(draft, expected_version)
    newer = superseding_drafts(session, draft)
    if newer and not even_if_superseded:
        raise _superseded_error(draft, newer)
    note = f"approved version {draft.version}"
    edited = body_text is not None and body_text != draft.body_text
    if edited and not body_text.strip():
        raise ConsultantError("the edited body is empty")
    # Checked before the edit is stored, so a rejected approval writes nothing.
    if PLACEHOLDER in (body_text if edited else draft.body_text):
        raise AnswerMissing(f"draft {draft_id} still contains {PLACEHOLDER!r}; write the "
                            "answer first")
    if edited:
        record_version(session, draft, body_text, reviewer)
        note = f"edited to version {draft.version} and approved it"
    if newer:
        note += f", confirmed although the case has newer {describe_drafts(newer)}"
    transition(session, draft, DraftState.APPROVED, reviewer, note, reviewer=reviewer,
               approved_version=draft.version)
    enqueue(session, "send_reply", draft.id)
    log.info("approved draft=%d version=%d", draft.id, draft.version)
    return draft


def reject(session: Session, draft_id: int, reviewer: str, reason: str) -> Draft:
    """Reject a draft with a reason; nothing is sent."""
    if not reviewer.strip():
        raise ConsultantError("a reviewer name is required")
    if not reason.strip():
        raise ConsultantError("a reason is required to reject a draft")
    draft = get_draft(session, draft_id)
    transition(session, draft, DraftState.REJECTED, reviewer, reason, reviewer=reviewer,
               reject_reason=reason)
    log.info("rejected draft=%d", draft.id)
    return draft


def edited_by_reviewer(draft: Draft) -> bool:
    """Return whether a reviewer saved a version of *draft*; redrafted versions do not count."""
    redrafts = {event.note for event in draft.events if event.note}
    return any(version.version > 1 and _redraft_note(version.version) not in redrafts
               for version in draft.versions)


def _redraft_note(version: int) -> str:
    return f"redrafted as version {version}"


@dataclass(frozen=True)
class RedraftResult:
    """A draft after ``redraft``, and what the redraft changed in it.

    ``new_version`` is false when the rendered text equals the draft's text, and then
    no version is made. ``codes_updated`` is true when only the stored code lookups
    changed, such as a reviewer note about an edition that is not loaded.
    """

    draft: Draft
    new_version: bool
    codes_updated: bool = False


def redraft(
    session: Session, draft_id: int, reviewer: str, *, force: bool = False
) -> RedraftResult:
    """Render a pending draft again from the code sets and templates loaded now.

    Use it after importing a code set (a licensed CPT file, a new ICD-10 edition) or
    changing a reply template. New text becomes the draft's next version, and text that
    equals the draft's keeps the draft at its version. A draft a reviewer has edited is
    redrafted only with *force*, because the new text replaces the edit. The edit stays
    in the version history.
    """
    if not reviewer.strip():
        raise ConsultantError("a reviewer name is required")
    draft = get_draft(session, draft_id, for_update=True)
    if draft.state is not DraftState.PENDING_REVIEW:
        raise InvalidTransition(
            f"draft {draft_id} is {draft.state.value}; only a draft pending review is redrafted"
        )
    if edited_by_reviewer(draft) and not force:
        raise ConsultantError(
            f"draft {draft_id} was edited by a reviewer (version {draft.version}); redrafting "
            "replaces the edit, so confirm it with --force (the edit stays in the version "
            "history)"
        )
    message = draft.inbound_message
    reply = compose_reply(session, parse_message(message.raw), draft.case.token,
                          case_history(session, draft.case, message.id))

    if reply.body_text == draft.body_text and reply.body_html == draft.body_html:
        codes_updated = not _same_codes(reply.codes, draft.codes)
        if codes_updated:
            _update_codes(session, draft, reply.codes, reviewer)
        log.info("redraft kept draft=%d at version=%d codes_updated=%s",
                 draft.id, draft.version, codes_updated)
        return RedraftResult(draft, new_version=False, codes_updated=codes_updated)

    _record_redraft(session, draft, reply, reviewer)
    log.info("redrafted draft=%d version=%d codes=%d", draft.id, draft.version, len(draft.codes))
    return RedraftResult(draft, new_version=True)


def _same_codes(rendered: list[dict[str, Any]], stored: list[dict[str, Any]]) -> bool:
    # The stored codes went through a JSON column, which turns tuples into lists.
    return json.dumps(rendered, sort_keys=True) == json.dumps(stored, sort_keys=True)


def _update_guarded(session: Session, draft: Draft, read_version: int, **values: Any) -> None:
    """Update the draft's row unless another transaction changed its version meanwhile."""
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.version == read_version)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(f"draft {draft.id} was changed while it was redrafted; try again")


def _update_codes(
    session: Session, draft: Draft, codes: list[dict[str, Any]], reviewer: str
) -> None:
    _update_guarded(session, draft, draft.version, codes=codes)
    session.add(DraftEvent(draft_id=draft.id, from_state=draft.state.value,
                           to_state=draft.state.value, actor=reviewer,
                           note=f"code lookups updated; text kept at version {draft.version}"))
    session.flush()
    session.refresh(draft)


def _record_redraft(session: Session, draft: Draft, reply: Reply, reviewer: str) -> None:
    read_version = draft.version
    _update_guarded(session, draft, read_version, body_text=reply.body_text,
                    body_html=reply.body_html, codes=reply.codes, version=read_version + 1)
    session.add(DraftVersion(draft_id=draft.id, version=read_version + 1,
                             body_text=reply.body_text, author=reviewer))
    session.add(DraftEvent(draft_id=draft.id, from_state=draft.state.value,
                           to_state=draft.state.value, actor=reviewer,
                           note=_redraft_note(read_version + 1)))
    session.flush()
    session.refresh(draft)
