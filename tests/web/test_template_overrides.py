"""Template overrides in the drafting path: draft_for_message renders them in the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import Result, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from consultant.admin import reply_templates
from consultant.admin.reply_templates import TemplateCheckFailed, TemplateConflict
from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.drafting.templates import render
from consultant.storage.db import get_engine
from consultant.storage.models import InboundMessage, MessageState, TemplateOverride
from tests.web.conftest import question_bytes

HOSTILE_QUESTION = "Is <script>alert(1)</script> billable with 99213?"


def _store_unchecked(session: Session, key: str, source: str) -> None:
    # Stands in for a row written by other means, to show the renderer's own guards.
    session.add(TemplateOverride(name=reply_templates.EDITABLE[key], source=source, version=1,
                                 updated_by="ada"))
    session.commit()


def test_draft_uses_text_override(session: Session, make_draft) -> None:
    reply_templates.save_override(session, "body.txt",
                                  "Override for case {{ case_token }}: {{ codes | length }}\n",
                                  "ada")
    session.commit()

    draft = make_draft()

    assert draft.body_text == f"Override for case {draft.case.token}: {len(draft.codes)}\n"
    assert "Thank you for your coding question" in draft.body_html


def test_html_override_keeps_autoescape(session: Session, make_draft) -> None:
    reply_templates.save_override(session, "body.html", "<p>{{ question }}</p>\n", "ada")
    session.commit()

    draft = make_draft(body=HOSTILE_QUESTION)

    assert "&lt;script&gt;" in draft.body_html
    assert "<script>" not in draft.body_html


def test_text_override_is_not_escaped(session: Session, make_draft) -> None:
    reply_templates.save_override(session, "body.txt", "{{ question }}\n", "ada")
    session.commit()

    draft = make_draft(body=HOSTILE_QUESTION)

    assert draft.body_text == HOSTILE_QUESTION + "\n"


def test_revert_restores_shipped_template(session: Session, make_draft) -> None:
    reply_templates.save_override(session, "body.txt", "Override\n", "ada")
    session.commit()
    reply_templates.revert_override(session, "body.txt")
    session.commit()

    draft = make_draft()

    assert "Thank you for your coding question" in draft.body_text


def test_new_version_replaces_old_at_once(session: Session, make_draft) -> None:
    reply_templates.save_override(session, "body.txt", "First\n", "ada")
    session.commit()
    first = make_draft()
    reply_templates.save_override(session, "body.txt", "Second\n", "ada")
    session.commit()

    second = make_draft()

    assert first.body_text == "First\n"
    assert second.body_text == "Second\n"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
    "{{ codes_table.__globals__ }}\n",
])
def test_sandbox_blocks_internals_when_drafting(session: Session, make_draft,
                                                source: str) -> None:
    _store_unchecked(session, "body.txt", source)
    raw = question_bytes()
    message = InboundMessage(message_id="<sandbox@example.com>", raw=raw, size=len(raw),
                             sha256="0" * 64)
    session.add(message)
    session.commit()

    draft = draft_for_message(session, message.id, get_settings())
    session.commit()

    assert draft is None
    assert message.state is MessageState.QUARANTINED
    assert "SecurityError" in (message.error or "")


def test_undefined_variable_stays_strict_in_override(session: Session) -> None:
    overrides = {reply_templates.EDITABLE["body.txt"]: "{{ missing }}\n"}

    with pytest.raises(Exception, match="'missing' is undefined"):
        render(reply_templates.EDITABLE["body.txt"], overrides)


def test_check_covers_empty_reply_branch(session: Session) -> None:
    source = "{% if codes %}fine{% else %}{{ no_codes_text }}{% endif %}\n"

    with pytest.raises(TemplateCheckFailed, match="line 1: UndefinedError"):
        reply_templates.save_override(session, "body.txt", source, "ada")


def test_check_rejects_oversized_source(session: Session) -> None:
    with pytest.raises(TemplateCheckFailed, match="maximum"):
        reply_templates.save_override(session, "body.txt",
                                      "x" * (reply_templates.MAX_SOURCE_LENGTH + 1), "ada")


def test_versions_record_author(session: Session) -> None:
    reply_templates.save_override(session, "body.txt", "One\n", "ada")
    reply_templates.save_override(session, "body.txt", "Two\r\n", "root")
    session.commit()

    view = reply_templates.view_template(session, "body.txt")

    assert view.current == "Two\n"
    assert [(version.version, version.author) for version in view.versions] == [
        (2, "root"), (1, "ada")]
    assert view.override is not None
    assert view.override.updated_by == "root"


def test_revert_without_override_reports_none(session: Session) -> None:
    assert reply_templates.revert_override(session, "body.html") is False


def test_concurrent_save_conflicts_cleanly(db_url: str, session: Session) -> None:
    factory = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)
    saved_by_other: list[int] = []

    def other_admin_saves_meanwhile(state: ORMExecuteState) -> Result:
        # Run this session's query, then let another admin save before this save goes on.
        result = state.invoke_statement()
        if "max(" in str(state.statement).lower() and not saved_by_other:
            with factory() as other:
                saved = reply_templates.save_override(other, "body.txt", "Theirs\n", "root")
                other.commit()
                saved_by_other.append(saved.version)
        return result

    event.listen(session, "do_orm_execute", other_admin_saves_meanwhile)
    with pytest.raises(TemplateConflict, match="saved by another admin"):
        reply_templates.save_override(session, "body.txt", "Mine\n", "ada")
    event.remove(session, "do_orm_execute", other_admin_saves_meanwhile)
    session.commit()

    view = reply_templates.view_template(session, "body.txt")
    assert saved_by_other == [1]
    assert view.current == "Theirs\n"
    assert [(version.version, version.author) for version in view.versions] == [(1, "root")]


@pytest.mark.parametrize("key", ["body.txt", "body.html"])
def test_shipped_template_saves_as_override(session: Session, key: str) -> None:
    shipped = reply_templates.view_template(session, key).shipped

    saved = reply_templates.save_override(session, key, shipped, "ada")

    assert saved.version == 1
