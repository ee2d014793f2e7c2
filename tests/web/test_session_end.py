"""A session that ends during an edit saves nothing, keeps the text and returns to the draft."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consultant.review import services, workflow
from consultant.storage.base import utcnow
from consultant.storage.models import CaseEvent, DraftState, WebSession
from consultant.web.security import login_csrf_cookie_name
from consultant.web.signin import safe_next_path
from tests.web.conftest import PASSWORD, form_token, sign_in
from tests.web.session_end import (
    end_sessions,
    hidden_value,
    input_value,
    sign_in_form,
    textarea_text,
)

ANSWER = "Yes: append modifier 25 to the E/M code, per the operative note."


@pytest.mark.parametrize("action", ["save", "approve"])
def test_expired_edit_keeps_text(client: TestClient, users, make_draft, session: Session,
                                 sent_tasks, action: str,
                                 caplog: pytest.LogCaptureFixture) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER) + "\n<b>Kept & escaped</b>"
    end_sessions(session)
    caplog.set_level(logging.DEBUG)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": action})
    session.refresh(draft)

    assert response.status_code == 401
    assert 'id="session-ended"' in response.text
    verb = "approval" if action == "approve" else "save"
    assert f"Your session ended before this {verb} reached the server" in response.text
    assert "nothing was saved or sent" in response.text
    assert textarea_text(response.text, "unsaved-body") == body
    assert "&lt;b&gt;Kept &amp; escaped&lt;/b&gt;" in response.text
    assert hidden_value(response.text, "next") == f"/drafts/{draft.id}"
    assert hidden_value(response.text, "version") == "1"
    assert input_value(response.text, "username") == "rita"
    assert draft.version == 1
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.assignee is None
    assert draft.approved_version is None
    assert sent_tasks == []
    assert session.scalar(select(CaseEvent.id).where(CaseEvent.draft_id == draft.id)) is None
    assert session.scalar(select(WebSession.id)) is None
    assert ANSWER not in caplog.text
    assert "Kept" not in caplog.text


def test_sign_in_restores_text(client: TestClient, users, make_draft, session: Session,
                               sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "approve"})

    restored = client.post("/login", data=sign_in_form(ended.text))
    session.refresh(draft)

    assert restored.status_code == 200
    assert 'id="edit-form"' in restored.text
    assert textarea_text(restored.text, "body") == body
    assert 'id="edit-notice"' in restored.text
    assert "is not saved yet" in restored.text
    assert re.search(r'name="version" value="1"', restored.text)
    assert draft.version == 1
    assert draft.state is DraftState.PENDING_REVIEW
    assert sent_tasks == []

    # The restored page carries the new session's token, so approving now works.
    new_token = form_token(restored.text)
    approved = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": new_token, "version": "1", "body": textarea_text(restored.text, "body"),
        "action": "approve"})
    session.refresh(draft)

    assert new_token != token
    assert approved.status_code == 303
    assert draft.state is DraftState.APPROVED
    assert draft.reviewer == "rita"
    assert ANSWER in draft.body_text
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_wrong_password_keeps_text(client: TestClient, users, make_draft,
                                   session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "save"})

    failed = client.post("/login", data=sign_in_form(ended.text, "not the password"))

    assert failed.status_code == 401
    assert "wrong username or password" in failed.text
    assert textarea_text(failed.text, "unsaved-body") == body
    assert hidden_value(failed.text, "next") == f"/drafts/{draft.id}"
    assert hidden_value(failed.text, "version") == "1"
    assert input_value(failed.text, "username") == "rita"

    restored = client.post("/login", data=sign_in_form(failed.text))

    assert restored.status_code == 200
    assert textarea_text(restored.text, "body") == body


def test_restore_on_changed_draft(client: TestClient, users, make_draft,
                                  session: Session, sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "approve"})
    workflow.save(session, draft.id, users["remy"], draft.body_text + "\nRemy's note.", 1)
    session.commit()

    response = client.post("/login", data=sign_in_form(ended.text))
    session.refresh(draft)

    assert response.status_code == 409
    assert "The draft changed while you were editing" in response.text
    assert f"draft {draft.id} is now at version 2, not version 1" in response.text
    assert html.escape(ANSWER, quote=False) in response.text
    assert 'id="edit-form"' not in response.text
    assert draft.version == 2
    assert draft.assignee == "remy"
    assert sent_tasks == []
    # The sign-in itself went through.
    assert client.get("/queue").status_code == 200


def test_restore_on_rejected_draft(client: TestClient, users, make_draft,
                                   session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": ANSWER, "action": "save"})
    workflow.reject(session, draft.id, users["remy"], "Not a coding question", 1)
    session.commit()

    response = client.post("/login", data=sign_in_form(ended.text))

    assert response.status_code == 409
    assert f"draft {draft.id} is rejected and can no longer be changed" in response.text
    assert html.escape(ANSWER, quote=False) in response.text


def test_restore_on_missing_draft(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "rita")
    end_sessions(session)
    ended = client.post("/drafts/999/edit", data={
        "csrf_token": token, "version": "1", "body": ANSWER, "action": "save"})

    response = client.post("/login", data=sign_in_form(ended.text))

    assert ended.status_code == 401
    assert response.status_code == 409
    assert "draft 999 no longer exists" in response.text
    assert html.escape(ANSWER, quote=False) in response.text


@pytest.mark.parametrize("csrf_token", ["forged", ""])
def test_expired_edit_without_token(client: TestClient, users, make_draft, session: Session,
                                    csrf_token: str) -> None:
    draft = make_draft()
    sign_in(client, "rita")
    end_sessions(session)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": csrf_token, "version": "1", "body": ANSWER, "action": "approve"})
    session.refresh(draft)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}&ended=1"
    assert ANSWER not in response.text
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 1


def test_edit_without_cookie(client: TestClient, users, make_draft, session: Session) -> None:
    draft = make_draft()

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": "anything", "version": "1", "body": ANSWER, "action": "approve"})
    session.refresh(draft)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}"
    assert ANSWER not in response.text
    assert draft.state is DraftState.PENDING_REVIEW


def test_edit_after_session_deleted(client: TestClient, users, make_draft,
                                    session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    # A request from another tab after the idle limit deletes the ended session first.
    session.execute(delete(WebSession))
    session.commit()

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": ANSWER, "action": "save"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}&ended=1"


def test_login_needs_csrf_to_carry_text(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    client.get("/login")

    response = client.post("/login", data={
        "csrf_token": "forged", "username": "rita", "password": PASSWORD,
        "next": f"/drafts/{draft.id}", "kept_form": "draft-edit", "version": "1",
        "body": ANSWER})

    assert response.status_code == 403
    assert ANSWER not in response.text
    assert client.get("/queue").status_code == 303


def test_expired_page_returns_after_sign_in(client: TestClient, users, make_draft,
                                            session: Session) -> None:
    draft = make_draft()
    sign_in(client, "rita")
    end_sessions(session)

    expired = client.get(f"/drafts/{draft.id}")
    login = client.get(expired.headers["location"])
    signed_in = client.post("/login", data={
        "csrf_token": form_token(login.text), "username": "rita", "password": PASSWORD,
        "next": hidden_value(login.text, "next")})

    assert expired.status_code == 303
    assert expired.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}&ended=1"
    assert "Your session has ended." in login.text
    assert hidden_value(login.text, "next") == f"/drafts/{draft.id}"
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/drafts/{draft.id}"


def test_sign_in_pages_share_token(client: TestClient, users) -> None:
    first = client.get("/login", params={"next": "/held"})
    second = client.get("/login")

    response = client.post("/login", data={"csrf_token": form_token(first.text),
                                           "username": "rita", "password": PASSWORD,
                                           "next": "/held"})

    assert form_token(second.text) == form_token(first.text)
    assert response.status_code == 303
    assert response.headers["location"] == "/held"


def test_sign_in_replaces_malformed_token(client: TestClient, users) -> None:
    client.cookies.set(login_csrf_cookie_name(), "<b>")

    login = client.get("/login")

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", form_token(login.text))
    assert login.cookies.get(login_csrf_cookie_name()) == form_token(login.text)


def test_sign_in_after_other_tab_signed_in(client: TestClient, users) -> None:
    first = client.get("/login")
    sign_in(client, "rita")

    response = client.post("/login", data={"csrf_token": form_token(first.text),
                                           "username": "rita", "password": PASSWORD})

    assert response.status_code == 403
    assert "This sign-in form had expired, so you were not signed in." in response.text
    assert "when you sign in from another tab" in response.text
    assert input_value(response.text, "username") == "rita"


def test_sign_in_without_next_opens_queue(client: TestClient, users) -> None:
    login = client.get("/login")

    response = client.post("/login", data={"csrf_token": form_token(login.text),
                                           "username": "rita", "password": PASSWORD})

    assert "Your session has ended" not in login.text
    assert hidden_value(login.text, "next") is None
    assert response.headers["location"] == "/queue"


NON_LOCAL_PATHS = [
    "https://evil.example/drafts/1",
    "//evil.example/drafts/1",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " /queue",
    "/queue\r\nSet-Cookie: a=b",
    "/queue\t",
    "/drafts/\u00e9",
    "queue",
    "/login",
    "/logout",
    "/" + "a" * 2000,
    "",
]


@pytest.mark.parametrize("value", NON_LOCAL_PATHS)
def test_sign_in_rejects_non_local_next(client: TestClient, users, value: str) -> None:
    login = client.get("/login", params={"next": value})

    response = client.post("/login", data={"csrf_token": form_token(login.text),
                                           "username": "rita", "password": PASSWORD,
                                           "next": value})

    assert hidden_value(login.text, "next") is None
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"


@pytest.mark.parametrize("value", ["/drafts/12", "/queue?state=approved&page=2", "/held/3",
                                   "/cases/4"])
def test_safe_next_path_keeps_local(value: str) -> None:
    assert safe_next_path(value) == value


def test_text_only_carried_to_drafts(client: TestClient, users) -> None:
    login = client.get("/login")

    response = client.post("/login", data={"csrf_token": form_token(login.text),
                                           "username": "rita", "password": PASSWORD,
                                           "next": "/queue", "kept_form": "draft-edit",
                                           "version": "1", "body": ANSWER})

    assert response.status_code == 303
    assert response.headers["location"] == "/queue"


def test_redirect_keeps_page_query(client: TestClient, users) -> None:
    response = client.get("/queue", params={"state": "approved", "page": "2"})

    assert response.headers["location"] == (
        f"/login?next={quote('/queue?state=approved&page=2', safe='')}")


def test_keepalive_marks_session_seen(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "rita")
    idle_since = utcnow() - timedelta(minutes=20)
    session.execute(update(WebSession).values(last_seen_at=idle_since))
    session.commit()

    without_token = client.post("/api/v1/session/keepalive")
    with_token = client.post("/api/v1/session/keepalive", headers={"X-CSRF-Token": token})
    last_seen = session.scalar(select(WebSession.last_seen_at))

    assert without_token.status_code == 403
    assert with_token.status_code == 204
    assert last_seen is not None
    assert last_seen > idle_since + timedelta(minutes=19)


def test_keepalive_after_session_end(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "rita")
    end_sessions(session)

    response = client.post("/api/v1/session/keepalive", headers={"X-CSRF-Token": token})

    assert response.status_code == 401
    assert response.json() == {"detail": "not signed in"}
    assert session.scalar(select(WebSession.id)) is None


def test_draft_page_sets_keepalive_interval(client: TestClient, users, make_draft,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from consultant.web.config import get_web_settings

    monkeypatch.setenv("CASECONSULTANT_WEB_SESSION_IDLE_MINUTES", "12")
    get_web_settings.cache_clear()
    draft = make_draft()
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    assert 'data-keepalive-seconds="240"' in page
    assert f'data-draft-id="{draft.id}" data-version="1" data-user="rita"' in page


@pytest.mark.parametrize(
    ("idle_minutes", "max_hours", "expected"),
    [
        ("1", "1", "A session ends after 1 minute without activity and 1 hour after sign-in."),
        ("2", "12", "A session ends after 2 minutes without activity and 12 hours after sign-in."),
    ],
)
def test_session_limits_in_notice(client: TestClient, users, session: Session,
                                  monkeypatch: pytest.MonkeyPatch, idle_minutes: str,
                                  max_hours: str, expected: str) -> None:
    from consultant.web.config import get_web_settings

    monkeypatch.setenv("CASECONSULTANT_WEB_SESSION_IDLE_MINUTES", idle_minutes)
    monkeypatch.setenv("CASECONSULTANT_WEB_SESSION_MAX_HOURS", max_hours)
    get_web_settings.cache_clear()
    token = sign_in(client, "rita")
    end_sessions(session)

    response = client.post("/codes", data={"csrf_token": token, "q": "J1100"})

    assert response.status_code == 401
    assert expected in response.text
