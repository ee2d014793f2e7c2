import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message
from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.intake.services import store_message
from consultant.review import services
from consultant.review.states import transition
from consultant.storage.db import get_engine
from consultant.storage.models import Draft, DraftState
from workers.app import app


@pytest.fixture
def draft(session: Session, monkeypatch: pytest.MonkeyPatch) -> Draft:
    monkeypatch.setenv("CASECONSULTANT_FROM_ADDRESS", "coding-help@example.org")
    reset_settings()
    raw = (b"From: dana@clinic.example.com\r\nSubject: E11.4?\r\n"
           b"Message-ID: <r1@clinic.example.com>\r\n\r\nIs E11.4 billable?\r\n")
    stored = store_message(session, raw)
    made = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    assert made is not None
    return made


def queued_tasks() -> list[str]:
    """Return the task messages waiting in the embedded filesystem broker."""
    folder = Path(app.conf.broker_transport_options["data_folder_in"])
    return [path.read_text() for path in folder.glob("*.msg")]


@pytest.fixture(autouse=True)
def _empty_broker() -> None:
    # The Celery app reads its configuration once per process, so tests share its folder.
    for path in Path(app.conf.broker_transport_options["data_folder_in"]).glob("*.msg"):
        path.unlink()


def test_approve_with_answer_enqueues_send(session: Session, draft: Draft, tmp_path: Path) -> None:
    body = services.fill_answer(draft, "Use E11.40 or another fifth character.")

    services.approve(session, draft.id, "rita", body)
    session.commit()

    assert draft.state is DraftState.APPROVED
    assert draft.version == 2
    assert "Use E11.40" in draft.body_text
    assert draft.reviewer == "rita"
    assert [event.to_state for event in draft.events] == ["pending_review", "approved"]
    assert draft.events[-1].actor == "rita"
    tasks = queued_tasks()
    assert len(tasks) == 1
    assert "workers.tasks.send_reply" in tasks[0]


def test_approve_rejects_placeholder(session: Session, draft: Draft, tmp_path: Path) -> None:
    with pytest.raises(ConsultantError, match="write the answer first"):
        services.approve(session, draft.id, "rita")
    session.rollback()

    assert queued_tasks() == []


def test_rollback_enqueues_nothing(session: Session, draft: Draft, tmp_path: Path) -> None:
    services.approve(session, draft.id, "rita", "Edited answer.")
    session.rollback()

    assert queued_tasks() == []


def test_reject_requires_reason(session: Session, draft: Draft) -> None:
    with pytest.raises(ConsultantError, match="reason"):
        services.reject(session, draft.id, "rita", "  ")


def test_reject_records_reason(session: Session, draft: Draft) -> None:
    services.reject(session, draft.id, "rita", "Asked about a dental code; refer to dental team")
    session.commit()

    assert draft.state is DraftState.REJECTED
    assert draft.reject_reason.startswith("Asked about a dental code")
    with pytest.raises(InvalidTransition):
        services.approve(session, draft.id, "rita", "Too late.")


def test_unknown_draft_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        services.get_draft(session, 9999)


def test_stale_state_loses_race(session: Session, draft: Draft, db_url: str) -> None:
    """Two reviewers read pending_review; only the first approval wins."""
    from sqlalchemy.orm import sessionmaker

    from consultant.storage.db import get_engine

    other = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)()
    stale = other.get_one(Draft, draft.id)
    services.approve(session, draft.id, "rita", "First answer.")
    session.commit()

    with pytest.raises(InvalidTransition, match="changed state"):
        transition(other, stale, DraftState.REJECTED, "sam", "late")
    other.rollback()
    other.close()


def test_rollback_before_any_query_enqueues_nothing(session: Session) -> None:
    from consultant.queue import enqueue

    session.rollback()
    enqueue(session, "send_reply", 4242)
    session.rollback()
    session.commit()

    assert queued_tasks() == []


def test_savepoint_rollback_keeps_outer_enqueue(session: Session, draft: Draft) -> None:
    from consultant.queue import enqueue

    enqueue(session, "send_reply", draft.id)
    with session.begin_nested() as savepoint:
        savepoint.rollback()
    session.commit()

    assert len(queued_tasks()) == 1


def test_answer_fills_html_table_draft(session: Session, draft: Draft) -> None:
    body = services.fill_answer(draft, "Use E11.40 <or> E11.41.\nSee the guidelines.")

    services.approve(session, draft.id, "rita", body)

    assert "<table" in (draft.body_html or "")
    assert "Use E11.40 &lt;or&gt; E11.41.<br>\nSee the guidelines." in (draft.body_html or "")
    assert services.PLACEHOLDER not in (draft.body_html or "")


def test_whole_body_edit_keeps_layout_in_html(session: Session, draft: Draft) -> None:
    services.approve(session, draft.id, "rita", "Code    System\nE11.40  ICD-10-CM\n")

    assert "<pre" in (draft.body_html or "")
    assert "E11.40  ICD-10-CM" in (draft.body_html or "")


def test_answer_for_sent_draft_names_state(session: Session, draft: Draft) -> None:
    services.reject(session, draft.id, "rita", "Not ours")

    with pytest.raises(InvalidTransition, match="is rejected; it cannot be approved"):
        services.fill_answer(draft, "Late answer")


def _approve_at_once(db_url: str, draft_id: int, edits: list[tuple[str, str]]) -> list[str]:
    """Approve one draft from several sessions started together; return each outcome."""
    factory = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)
    start = threading.Barrier(len(edits))
    outcomes: list[str] = []

    def approve(reviewer: str, answer: str) -> None:
        with factory() as own:
            displayed = services.get_draft(own, draft_id)
            body = services.fill_answer(displayed, answer)
            start.wait()
            try:
                services.approve(own, draft_id, reviewer, body, expected_version=1)
                own.commit()
                outcomes.append(f"approved by {reviewer}")
            except ConsultantError as error:
                own.rollback()
                outcomes.append(f"refused: {type(error).__name__}")

    threads = [threading.Thread(target=approve, args=edit) for edit in edits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_racing_approvals_send_once(db_url: str, session: Session, draft: Draft) -> None:
    edits = [("rita", "Use E11.40."), ("sam", "Use E11.49.")]

    outcomes = _approve_at_once(db_url, draft.id, edits)

    assert len(outcomes) == 2
    approved = [outcome for outcome in outcomes if outcome.startswith("approved")]
    assert len(approved) == 1
    assert outcomes[1 - outcomes.index(approved[0])].startswith("refused: ")
    session.expire_all()
    stored = session.get_one(Draft, draft.id)
    assert stored.state is DraftState.APPROVED
    assert stored.approved_version == 2
    assert ("Use E11.40." in stored.body_text) == (approved[0] == "approved by rita")
    assert [event.to_state for event in stored.events] == ["pending_review", "approved"]
    assert len(queued_tasks()) == 1


def test_approval_racing_rejection(db_url: str, session: Session, draft: Draft) -> None:
    factory = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)
    body = services.fill_answer(draft, "Use E11.40.")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def act(name: str) -> None:
        with factory() as own:
            services.get_draft(own, draft.id)
            start.wait()
            try:
                if name == "approve":
                    services.approve(own, draft.id, "rita", body, expected_version=1)
                else:
                    services.reject(own, draft.id, "sam", "duplicate question")
                own.commit()
                outcomes.append(name)
            except ConsultantError:
                own.rollback()

    threads = [threading.Thread(target=act, args=(name,)) for name in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 1
    session.expire_all()
    stored = session.get_one(Draft, draft.id)
    expected = DraftState.APPROVED if outcomes == ["approve"] else DraftState.REJECTED
    assert stored.state is expected
    assert len(queued_tasks()) == (1 if outcomes == ["approve"] else 0)


def test_redraft_uses_codes_imported_since(session: Session, draft: Draft) -> None:
    from consultant.codes import importers

    assert draft.codes[0]["validity"] is None
    importers.import_icd10cm(session)
    session.commit()

    result = services.redraft(session, draft.id, "rita")
    session.commit()
    redrafted = result.draft

    assert result.new_version is True
    assert redrafted.version == 2
    assert redrafted.codes[0]["code"] == "E11.4"
    assert redrafted.codes[0]["validity"] is not None
    assert redrafted.codes[0]["description"]
    assert redrafted.state is DraftState.PENDING_REVIEW
    assert [version.author for version in redrafted.versions][-1] == "rita"
    assert redrafted.events[-1].note == "redrafted as version 2"


def test_redraft_keeps_reviewer_edit_without_force(session: Session, draft: Draft) -> None:
    services.record_version(session, draft, services.fill_answer(draft, "Use E11.40."), "rita")
    session.commit()

    with pytest.raises(ConsultantError, match="--force"):
        services.redraft(session, draft.id, "sam")
    forced = services.redraft(session, draft.id, "sam", force=True).draft

    assert forced.version == 3
    assert "Use E11.40." not in forced.body_text
    assert any("Use E11.40." in version.body_text for version in forced.versions)


def test_redraft_refuses_approved_draft(session: Session, draft: Draft) -> None:
    services.approve(session, draft.id, "rita", services.fill_answer(draft, "Use E11.40."))
    session.commit()

    with pytest.raises(InvalidTransition, match="only a draft pending review"):
        services.redraft(session, draft.id, "rita")


def test_redraft_again_is_not_an_edit(session: Session, draft: Draft) -> None:
    from consultant.codes import importers

    importers.import_icd10cm(session)
    session.commit()
    services.redraft(session, draft.id, "rita")
    session.commit()

    again = services.redraft(session, draft.id, "rita").draft

    assert again.version == 2
    assert not services.edited_by_reviewer(again)


def test_redraft_unchanged_keeps_version(session: Session, draft: Draft) -> None:
    body_text, events = draft.body_text, len(draft.events)

    result = services.redraft(session, draft.id, "rita")
    session.commit()
    session.expire_all()
    stored = session.get_one(Draft, draft.id)

    assert result.new_version is False
    assert result.codes_updated is False
    assert stored.version == 1
    assert stored.body_text == body_text
    assert [version.version for version in stored.versions] == [1]
    assert len(stored.events) == events


def test_redraft_updates_stale_code_lookups(session: Session, draft: Draft) -> None:
    rendered = draft.codes
    # A stored lookup that differs from what rendering gives now, with the same text.
    draft.codes = [{**code, "review_notes": ["an earlier note"]} for code in rendered]
    session.commit()

    result = services.redraft(session, draft.id, "rita")
    session.commit()
    session.expire_all()
    stored = session.get_one(Draft, draft.id)

    assert result.new_version is False
    assert result.codes_updated is True
    assert stored.version == 1
    assert stored.codes == rendered
    assert stored.events[-1].note == "code lookups updated; text kept at version 1"
    assert not services.edited_by_reviewer(stored)
