from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from consultant.config import get_settings, reset_settings
from consultant.drafting.services import draft_for_message
from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.intake.services import store_message
from consultant.review import services
from consultant.review.states import transition
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
