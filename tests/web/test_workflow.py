"""Reviewer actions at the service level: claims, versions, approval, rejection, held mail."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.review import held, queries, services, workflow
from consultant.review.errors import (
    AnswerMissing,
    ClaimedByOther,
    PermissionDenied,
    StaleVersion,
    Superseded,
)
from consultant.storage.models import (
    CaseEvent,
    DraftState,
    DraftVersion,
    InboundMessage,
    MessageState,
)

ANSWER = "Yes, with modifier 25 when the visit is significant and separately identifiable."


def answered(body: str) -> str:
    return body.replace(services.PLACEHOLDER, ANSWER)


def test_new_draft_has_first_version(session: Session, make_draft) -> None:
    draft = make_draft()

    versions = session.scalars(select(DraftVersion).where(DraftVersion.draft_id == draft.id)).all()

    assert [version.version for version in versions] == [1]
    assert versions[0].body_text == draft.body_text
    assert versions[0].author == "system"


def test_claim_blocks_other_reviewer(session: Session, make_draft, users) -> None:
    draft = make_draft()

    workflow.claim(session, draft.id, users["rita"])
    session.commit()

    assert draft.assignee == "rita"
    with pytest.raises(ClaimedByOther):
        workflow.claim(session, draft.id, users["remy"])
    with pytest.raises(ClaimedByOther):
        workflow.save(session, draft.id, users["remy"], "new text", draft.version)
    with pytest.raises(ClaimedByOther):
        workflow.approve(session, draft.id, users["remy"], answered(draft.body_text), 1)
    with pytest.raises(ClaimedByOther):
        workflow.reject(session, draft.id, users["remy"], "duplicate")
    with pytest.raises(ClaimedByOther):
        workflow.release(session, draft.id, users["remy"])


def test_release_by_assignee_and_admin(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.claim(session, draft.id, users["rita"])

    workflow.release(session, draft.id, users["rita"])
    assert draft.assignee is None

    workflow.claim(session, draft.id, users["rita"])
    workflow.release(session, draft.id, users["ada"])
    assert draft.assignee is None


def test_assign_needs_admin_for_others(session: Session, make_draft, users) -> None:
    draft = make_draft()

    with pytest.raises(PermissionDenied):
        workflow.assign(session, draft.id, users["rita"], "remy")
    workflow.assign(session, draft.id, users["rita"], "rita")
    assert draft.assignee == "rita"
    workflow.assign(session, draft.id, users["ada"], "remy")
    assert draft.assignee == "remy"
    with pytest.raises(NotFound):
        workflow.assign(session, draft.id, users["ada"], "nobody")


def test_save_keeps_versions(session: Session, make_draft, users) -> None:
    draft = make_draft()
    first_body = draft.body_text

    workflow.save(session, draft.id, users["rita"], "Second body", 1)
    workflow.save(session, draft.id, users["rita"], "Third body", 2)
    session.commit()

    bodies = [(version.version, version.body_text, version.author) for version in draft.versions]
    assert bodies == [(1, first_body, "system"), (2, "Second body", "rita"),
                      (3, "Third body", "rita")]
    assert draft.version == 3
    assert draft.assignee == "rita"


def test_save_unchanged_body_adds_no_version(session: Session, make_draft, users) -> None:
    draft = make_draft()

    workflow.save(session, draft.id, users["rita"], draft.body_text, 1)

    assert draft.version == 1


def test_save_rejects_stale_version(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.save(session, draft.id, users["rita"], "Second body", 1)

    with pytest.raises(StaleVersion):
        workflow.save(session, draft.id, users["rita"], "Edited from version 1", 1)


def test_approve_records_version_and_enqueues(session: Session, make_draft, users,
                                              sent_tasks) -> None:
    draft = make_draft()
    body = answered(draft.body_text)

    workflow.approve(session, draft.id, users["rita"], body, 1)
    assert sent_tasks == []
    session.commit()

    assert draft.state is DraftState.APPROVED
    assert draft.version == 2
    assert draft.approved_version == 2
    assert draft.reviewer == "rita"
    assert draft.body_text == body
    assert sent_tasks == [("send_reply", (draft.id,))]
    assert draft.events[-1].note == "edited to version 2 and approved it"


def test_approve_stale_version_sends_nothing(session: Session, make_draft, users,
                                             sent_tasks) -> None:
    draft = make_draft()
    workflow.save(session, draft.id, users["rita"], answered(draft.body_text), 1)
    session.commit()

    with pytest.raises(StaleVersion):
        workflow.approve(session, draft.id, users["rita"], None, 1)
    session.rollback()

    assert draft.state is DraftState.PENDING_REVIEW
    assert sent_tasks == []


def test_approve_with_placeholder_fails(session: Session, make_draft, users) -> None:
    draft = make_draft()

    with pytest.raises(AnswerMissing, match="write the answer first"):
        workflow.approve(session, draft.id, users["rita"], None, 1)


def test_placeholder_approval_stores_no_edit(session: Session, make_draft, users) -> None:
    draft = make_draft()
    edited = draft.body_text + "\nEdited."

    with pytest.raises(AnswerMissing):
        workflow.approve(session, draft.id, users["rita"], edited, 1)
    session.flush()

    session.refresh(draft)
    assert draft.version == 1
    assert draft.body_text != edited
    assert session.scalars(select(DraftVersion.version)
                           .where(DraftVersion.draft_id == draft.id)).all() == [1]


def test_approve_twice_is_invalid(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.approve(session, draft.id, users["rita"], answered(draft.body_text), 1)
    session.commit()

    with pytest.raises(InvalidTransition):
        workflow.approve(session, draft.id, users["rita"], None, 2)


def test_repeated_approval_changes_nothing(session: Session, make_draft, users,
                                           sent_tasks) -> None:
    draft = make_draft()
    body = answered(draft.body_text)
    workflow.approve(session, draft.id, users["rita"], body, 1)
    session.commit()

    # The same form sent again, with Windows line breaks as a browser sends them.
    again = workflow.approve(session, draft.id, users["rita"], body.replace("\n", "\r\n"), 1)
    session.commit()

    assert again is draft
    assert draft.state is DraftState.APPROVED
    assert draft.version == 2
    assert sent_tasks == [("send_reply", (draft.id,))]
    assert [event.note for event in draft.events].count("edited to version 2 and approved it") == 1


def test_approval_repeated_by_other_or_changed(session: Session, make_draft, users) -> None:
    draft = make_draft()
    body = answered(draft.body_text)
    workflow.approve(session, draft.id, users["rita"], body, 1)
    session.commit()

    with pytest.raises(InvalidTransition):
        workflow.approve(session, draft.id, users["rita"], body + "\nChanged.", 1)
    with pytest.raises(InvalidTransition):
        workflow.approve(session, draft.id, users["remy"], body, 1)


def test_cli_approve_keeps_working(session: Session, make_draft, sent_tasks) -> None:
    draft = make_draft()

    services.approve(session, draft.id, "cli-reviewer", answered(draft.body_text))
    session.commit()

    assert draft.state is DraftState.APPROVED
    assert draft.approved_version == 2
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_reject_needs_reason(session: Session, make_draft, users, sent_tasks) -> None:
    draft = make_draft()

    with pytest.raises(ConsultantError, match="reason"):
        workflow.reject(session, draft.id, users["rita"], "  ")
    workflow.reject(session, draft.id, users["rita"], "Question is outside coding scope", 1)
    session.commit()

    assert draft.state is DraftState.REJECTED
    assert draft.reject_reason == "Question is outside coding scope"
    assert sent_tasks == []


def test_audit_trail_lists_every_action(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.claim(session, draft.id, users["rita"])
    workflow.save(session, draft.id, users["rita"], answered(draft.body_text), 1)
    workflow.approve(session, draft.id, users["rita"], None, 2)
    session.commit()

    trail = queries.audit_trail(session, draft.case_id)

    assert [(entry.actor, entry.action) for entry in trail] == [
        ("system", "new -> pending_review"),
        ("rita", "claimed"),
        ("rita", "saved"),
        ("rita", "pending_review -> approved"),
    ]


def test_queue_filters_and_pages(session: Session, make_draft, users) -> None:
    drafts = [make_draft(subject=f"Question {number} about 9921{number}",
                         sender=f"coder@clinic{number % 2}.example.com") for number in range(5)]
    workflow.claim(session, drafts[1].id, users["rita"])
    session.commit()

    everything = queries.queue_page(session, queries.QueueFilter(per_page=2))
    mine = queries.queue_page(session, queries.QueueFilter(assignee="rita"))
    unclaimed = queries.queue_page(session, queries.QueueFilter(assignee=queries.UNASSIGNED))
    found = queries.queue_page(session, queries.QueueFilter(search="question 3"))

    assert everything.total == 5
    assert everything.pages == 3
    assert [row.draft_id for row in everything.rows] == [drafts[0].id, drafts[1].id]
    assert everything.rows[0].organisation == "clinic0.example.com"
    assert everything.rows[0].code_count >= 1
    assert [row.draft_id for row in mine.rows] == [drafts[1].id]
    assert unclaimed.total == 4
    assert [row.draft_id for row in found.rows] == [drafts[3].id]


def test_queue_search_finds_undotted_diagnosis(session: Session, make_draft) -> None:
    match = make_draft(body="Dx O40.3XX0 with 76946?")
    make_draft(body="Dx E11.9 with 99213?")

    for typed in ("o403xx0", "O40.3XX0", "o40.3xx0"):
        found = queries.queue_page(session, queries.QueueFilter(search=typed))
        assert [row.draft_id for row in found.rows] == [match.id], typed


def test_queue_mailbox_filter(session: Session, make_draft) -> None:
    from consultant.storage.models import Mailbox

    mailbox = Mailbox(key="coding-help@imap.example.org:993/INBOX")
    session.add(mailbox)
    first, second = make_draft(), make_draft()
    first.inbound_message.mailbox_id = mailbox.id
    session.commit()

    page = queries.queue_page(session, queries.QueueFilter(mailbox_id=mailbox.id))

    assert [row.draft_id for row in page.rows] == [first.id]
    assert second.id not in [row.draft_id for row in page.rows]


def test_unreached_mailbox_not_offered(session: Session) -> None:
    from consultant.storage.models import Mailbox

    reached = Mailbox(key="coding-help@imap.example.org:993/INBOX", uidvalidity=7)
    unreached = Mailbox(key="coding-help@imap.example.net:993/INBOX")
    session.add_all([reached, unreached])
    session.commit()

    assert [mailbox.key for mailbox in queries.mailboxes(session)] == [reached.key]


def test_retry_quarantined_message(session: Session, users, sent_tasks) -> None:
    message = InboundMessage(message_id="<broken@example.com>", raw=b"Subject: x\r\n\r\nbody",
                             size=17, sha256="0" * 64, state=MessageState.QUARANTINED,
                             error="draft: ValueError: no address")
    session.add(message)
    session.commit()

    assert [row.id for row in held.held_messages(session)] == [message.id]
    held.retry_message(session, message.id, users["rita"])
    session.commit()

    assert message.state is MessageState.RECEIVED
    assert message.error is None
    assert sent_tasks == [("process_message", (message.id,))]
    event = session.scalars(select(CaseEvent)).one()
    assert (event.action, event.actor, event.note) == ("retried", "rita", "was quarantined")
    with pytest.raises(InvalidTransition):
        held.retry_message(session, message.id, users["rita"])


def test_release_drafts_held_bulk_question(session: Session, users, web_env,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from consultant import queue
    from consultant.config import get_settings
    from consultant.drafting.services import draft_for_message
    from consultant.intake.services import store_message

    sent: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(queue, "send_task",
                        lambda name, *args, **options: sent.append((name, args, options)))
    raw = (b"From: Help Desk <desk@clinic.example.com>\r\nTo: coding-help@example.org\r\n"
           b"Subject: Can we bill 99213-25 with 20610?\r\nMessage-ID: <bulk1@example.com>\r\n"
           b"Auto-Submitted: auto-generated\r\nPrecedence: bulk\r\n\r\n"
           b"Forwarded from the ticket system: can we bill 99213-25 with 20610?\r\n")
    stored = store_message(session, raw)
    assert draft_for_message(session, stored.message_row_id, get_settings()) is None
    message = session.get_one(InboundMessage, stored.message_row_id)
    assert message.state is MessageState.IGNORED
    session.commit()

    held.retry_message(session, message.id, users["rita"])
    session.commit()

    # The worker drafts it with intake's checks lifted, instead of classifying it as bulk again.
    assert sent == [("process_message", (message.id,), {"kwargs": {"release": True}})]
    draft = draft_for_message(session, message.id, get_settings(), release=True)
    assert draft is not None
    event = session.scalars(select(CaseEvent).where(CaseEvent.action == "released")).one()
    assert (event.actor, event.note) == ("rita", "was ignored")


def test_failed_draft_approved_again(session: Session, make_draft, users, sent_tasks) -> None:
    draft = make_draft()
    workflow.approve(session, draft.id, users["rita"], answered(draft.body_text), 1)
    session.commit()
    draft.state = DraftState.FAILED
    draft.failure_reason = "550 mailbox unavailable"
    session.commit()

    with pytest.raises(InvalidTransition):
        workflow.reject(session, draft.id, users["rita"], "gave up")
    session.rollback()
    workflow.approve(session, draft.id, users["rita"], draft.body_text + "\nResent.", 2)
    session.commit()

    assert draft.state is DraftState.APPROVED
    assert draft.approved_version == 3
    assert sent_tasks == [("send_reply", (draft.id,)), ("send_reply", (draft.id,))]


def test_reviewer_cannot_assign_claimed_draft(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.claim(session, draft.id, users["rita"])

    with pytest.raises(PermissionDenied, match="claimed by rita, and only an admin can take it"):
        workflow.assign(session, draft.id, users["remy"], "remy")

    assert draft.assignee == "rita"


def test_take_over_by_admin_only(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.claim(session, draft.id, users["rita"])

    with pytest.raises(PermissionDenied):
        workflow.take_over(session, draft.id, users["remy"])
    assignee_after_reviewer = draft.assignee
    workflow.take_over(session, draft.id, users["ada"])
    session.commit()

    assert assignee_after_reviewer == "rita"
    assert draft.assignee == "ada"
    events = session.scalars(select(CaseEvent).where(CaseEvent.draft_id == draft.id)
                             .order_by(CaseEvent.id)).all()
    assert [(event.action, event.actor, event.note) for event in events] == [
        ("claimed", "rita", None), ("assigned", "ada", "to ada, was rita")]


def test_redraft_of_claimed_draft_refused(session: Session, make_draft, users) -> None:
    draft = make_draft()
    workflow.claim(session, draft.id, users["rita"])

    with pytest.raises(ClaimedByOther) as refused:
        workflow.redraft(session, draft.id, users["remy"])
    own = workflow.redraft(session, draft.id, users["rita"])

    assert refused.value.assignee == "rita"
    assert own.new_version is False
    assert draft.assignee == "rita"


def test_superseding_drafts_of_a_case(session: Session, make_draft, make_follow_up) -> None:
    first = make_draft()
    second = make_follow_up(first)
    third = make_follow_up(second, "And with the right knee instead?")
    unrelated = make_draft()

    assert services.superseding_drafts(session, first) == [second, third]
    assert services.superseding_drafts(session, second) == [third]
    assert services.superseding_drafts(session, third) == []
    assert services.superseding_drafts(session, unrelated) == []
    third.state = DraftState.REJECTED
    session.flush()
    assert services.superseding_drafts(session, first) == [second]


def test_approve_superseded_needs_confirmation(session: Session, make_draft, make_follow_up,
                                               users, sent_tasks) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    body = answered(first.body_text)

    with pytest.raises(Superseded) as unconfirmed:
        workflow.approve(session, first.id, users["rita"], body, 1)
    session.rollback()
    workflow.approve(session, first.id, users["rita"], body, 1, even_if_superseded=True)
    session.commit()

    assert unconfirmed.value.newer_ids == [follow_up.id]
    assert f"draft {follow_up.id} (pending review)" in str(unconfirmed.value)
    assert first.state is DraftState.APPROVED
    assert first.events[-1].note == ("edited to version 2 and approved it, confirmed although "
                                     f"the case has newer draft {follow_up.id} (pending review)")
    assert sent_tasks == [("send_reply", (first.id,))]


def test_reject_superseded_needs_no_confirmation(session: Session, make_draft, make_follow_up,
                                                 users) -> None:
    first = make_draft()
    make_follow_up(first)

    workflow.reject(session, first.id, users["rita"], "The follow-up reply answers both")

    assert first.state is DraftState.REJECTED
