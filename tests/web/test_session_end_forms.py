"""The Ask page, the template editor, the Reject form, the code lookup and the queue search
when the session ends first.

Each post does nothing, the sign-in page states that and shows the text, and signing in
there opens the same form with the text filled in.
"""

from __future__ import annotations

import html
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.admin import reply_templates
from consultant.review import workflow
from consultant.storage.models import (
    CaseEvent,
    DraftState,
    TemplateOverride,
    TemplateVersion,
    WebSession,
)
from consultant.web.security import login_csrf_cookie_name
from tests.web.conftest import PASSWORD, form_token, sign_in
from tests.web.session_end import (
    end_sessions,
    hidden_value,
    input_text,
    input_value,
    sign_in_form,
    textarea_text,
)

REASON = "Not a coding question: the sender asks about <b>payment</b> & dates."
SUBJECT = "Knee injection & modifier"
QUESTION = "\nCan we bill 20610 with 99213-25 on the same day?\nThe note says <b>separate</b>."
SOURCE = "\nHello from the kept override.\n{{ codes | length }} codes\n"


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


# The Reject form


def test_expired_reject_keeps_reason(client: TestClient, users, make_draft, session: Session,
                                     caplog: pytest.LogCaptureFixture) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)
    caplog.set_level(logging.DEBUG)

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": REASON})
    session.refresh(draft)

    assert response.status_code == 401
    assert 'id="session-ended"' in response.text
    assert ("Your session ended before this rejection reached the server, so draft "
            f"{draft.id} was not rejected") in response.text
    assert textarea_text(response.text, "unsaved-reason") == REASON
    assert html.escape(REASON, quote=False) in response.text
    assert hidden_value(response.text, "kept_form") == "draft-reject"
    assert hidden_value(response.text, "next") == f"/drafts/{draft.id}"
    assert hidden_value(response.text, "version") == "1"
    assert input_value(response.text, "username") == "rita"
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.reject_reason is None
    assert draft.assignee is None
    assert session.scalar(select(CaseEvent.id).where(CaseEvent.draft_id == draft.id)) is None
    assert "payment" not in caplog.text


def test_sign_in_restores_reason(client: TestClient, users, make_draft,
                                 session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": REASON})

    restored = client.post("/login", data=sign_in_form(ended.text))
    session.refresh(draft)

    assert restored.status_code == 200
    assert input_value(restored.text, "reason") == REASON
    assert 'id="reject-notice"' in restored.text
    assert "the draft is not rejected yet" in restored.text
    assert "not version" not in restored.text
    assert 'id="edit-form"' in restored.text
    assert draft.state is DraftState.PENDING_REVIEW

    rejected = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": form_token(restored.text), "version": "1",
        "reason": input_value(restored.text, "reason")})
    session.refresh(draft)

    assert rejected.status_code == 303
    assert draft.state is DraftState.REJECTED
    assert draft.reject_reason == REASON
    assert draft.reviewer == "rita"


def test_restore_reason_on_new_version(client: TestClient, users, make_draft,
                                       session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)
    ended = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": REASON})
    workflow.save(session, draft.id, users["remy"], draft.body_text + "\nRemy's note.", 1)
    workflow.release(session, draft.id, users["remy"])
    session.commit()

    restored = client.post("/login", data=sign_in_form(ended.text))

    assert restored.status_code == 200
    assert input_value(restored.text, "reason") == REASON
    assert "The reply is now at version 2, not version 1 that you read." in restored.text
    assert "Remy&#39;s note." in restored.text
    reject_form = restored.text.partition('class="reject"')[2]
    assert hidden_value(reject_form, "version") == "2"


@pytest.mark.parametrize("outcome", ["rejected", "deleted"])
def test_restore_reason_after_draft_left(client: TestClient, users, make_draft,
                                         session: Session, outcome: str) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)
    draft_id = draft.id if outcome == "rejected" else 999
    ended = client.post(f"/drafts/{draft_id}/reject", data={
        "csrf_token": token, "version": "1", "reason": REASON})
    if outcome == "rejected":
        workflow.reject(session, draft.id, users["remy"], "Duplicate question", 1)
        session.commit()

    response = client.post("/login", data=sign_in_form(ended.text))

    assert ended.status_code == 401
    assert response.status_code == 409
    assert "The draft changed while you were editing" in response.text
    expected = ("is rejected and can no longer be rejected" if outcome == "rejected"
                else "draft 999 no longer exists")
    assert expected in response.text
    assert html.escape(REASON, quote=False) in response.text
    # The sign-in itself went through.
    assert client.get("/queue").status_code == 200


@pytest.mark.parametrize("csrf_token", ["forged", ""])
def test_expired_reject_without_token(client: TestClient, users, make_draft, session: Session,
                                      csrf_token: str) -> None:
    draft = make_draft()
    sign_in(client, "rita")
    end_sessions(session)

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": csrf_token, "version": "1", "reason": REASON})
    session.refresh(draft)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fdrafts%2F{draft.id}&ended=1"
    assert "payment" not in response.text
    assert draft.state is DraftState.PENDING_REVIEW


# The Ask page


def test_expired_ask_keeps_question(client: TestClient, users, session: Session,
                                    caplog: pytest.LogCaptureFixture) -> None:
    token = sign_in(client, "rita")
    end_sessions(session)
    caplog.set_level(logging.DEBUG)

    response = client.post("/ask", data={"csrf_token": token, "subject": SUBJECT,
                                         "question": QUESTION})

    assert response.status_code == 401
    assert ("Your session ended before your question reached the server, so no reply was "
            "drafted") in response.text
    assert "return to the Ask page with your question in the form" in response.text
    assert input_text(response.text, "unsaved-subject") == SUBJECT
    assert textarea_text(response.text, "unsaved-question") == QUESTION
    assert hidden_value(response.text, "kept_form") == "ask"
    assert hidden_value(response.text, "next") == "/ask"
    assert 'id="ask-reply"' not in response.text
    assert session.scalar(select(WebSession.id)) is None
    assert "separate" not in caplog.text
    assert "Knee" not in caplog.text


def test_sign_in_restores_question(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "rita")
    end_sessions(session)
    ended = client.post("/ask", data={"csrf_token": token, "subject": SUBJECT,
                                      "question": QUESTION})

    restored = client.post("/login", data=sign_in_form(ended.text))

    assert restored.status_code == 200
    assert input_text(restored.text, "ask-subject") == SUBJECT
    assert textarea_text(restored.text, "ask-question") == QUESTION
    assert 'id="resumed-notice"' in restored.text
    assert "no reply was drafted for it yet" in restored.text
    assert 'id="ask-reply"' not in restored.text

    answered = client.post("/ask", data={"csrf_token": form_token(restored.text),
                                         "subject": SUBJECT, "question": QUESTION})

    assert answered.status_code == 200
    assert 'id="ask-reply"' in answered.text
    assert 'id="resumed-notice"' not in answered.text


def test_expired_ask_without_token(client: TestClient, users, session: Session) -> None:
    sign_in(client, "rita")
    end_sessions(session)

    response = client.post("/ask", data={"csrf_token": "forged", "subject": SUBJECT,
                                         "question": QUESTION})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fask&ended=1"
    assert "separate" not in response.text


# The template editor


def test_expired_template_save_keeps_source(client: TestClient, users, session: Session,
                                            caplog: pytest.LogCaptureFixture) -> None:
    token = sign_in(client, "ada")
    end_sessions(session)
    caplog.set_level(logging.DEBUG)

    response = client.post("/admin/templates/body.txt", data={"csrf_token": token,
                                                              "version": "0", "source": SOURCE})

    assert response.status_code == 401
    assert ("Your session ended before this save reached the server, so nothing was saved"
            in response.text)
    assert "return to template body.txt with your source in the editor" in response.text
    assert textarea_text(response.text, "unsaved-source") == SOURCE
    assert hidden_value(response.text, "kept_form") == "template"
    assert hidden_value(response.text, "next") == "/admin/templates/body.txt"
    assert input_value(response.text, "username") == "ada"
    assert _count(session, TemplateOverride) == 0
    assert _count(session, TemplateVersion) == 0
    assert "kept override" not in caplog.text


def test_sign_in_restores_source(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    end_sessions(session)
    ended = client.post("/admin/templates/body.txt", data={"csrf_token": token,
                                                           "version": "0", "source": SOURCE})

    restored = client.post("/login", data=sign_in_form(ended.text))

    assert restored.status_code == 200
    assert textarea_text(restored.text, "source") == SOURCE
    assert 'id="resumed-notice"' in restored.text
    assert "is not saved yet" in restored.text
    assert _count(session, TemplateOverride) == 0

    saved = client.post("/admin/templates/body.txt", data={
        "csrf_token": form_token(restored.text), "version": hidden_value(restored.text, "version"),
        "source": textarea_text(restored.text, "source")})

    assert saved.status_code == 303
    assert _count(session, TemplateOverride) == 1
    override = session.scalars(select(TemplateOverride)).one()
    assert override.source == SOURCE
    assert override.updated_by == "ada"


def test_restored_source_names_newer_override(client: TestClient, users,
                                              session: Session) -> None:
    token = sign_in(client, "ada")
    end_sessions(session)
    ended = client.post("/admin/templates/body.txt", data={"csrf_token": token,
                                                           "version": "0", "source": SOURCE})
    reply_templates.save_override(session, "body.txt", "Grace's reply\n", "grace")
    session.commit()

    restored = client.post("/login", data=sign_in_form(ended.text))

    assert restored.status_code == 200
    assert textarea_text(restored.text, "source") == SOURCE
    assert ("The template changed after you opened it: override version 1 is in use, not "
            "the shipped template.") in restored.text
    assert hidden_value(restored.text, "version") == "1"


def test_reviewer_cannot_resume_template(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    end_sessions(session)
    ended = client.post("/admin/templates/body.txt", data={"csrf_token": token,
                                                           "version": "0", "source": SOURCE})
    fields = sign_in_form(ended.text)
    fields["username"] = "rita"

    response = client.post("/login", data=fields)

    assert response.status_code == 403
    assert "this page is for admins only" in response.text
    assert "kept override" not in response.text
    assert _count(session, TemplateOverride) == 0
    assert client.get("/queue").status_code == 200


def test_expired_save_of_unknown_template(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    end_sessions(session)

    response = client.post("/admin/templates/subject.txt", data={"csrf_token": token,
                                                                 "version": "0", "source": SOURCE})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?ended=1"


def test_expired_template_save_without_token(client: TestClient, users,
                                             session: Session) -> None:
    sign_in(client, "ada")
    end_sessions(session)

    response = client.post("/admin/templates/body.html", data={"csrf_token": "forged",
                                                               "version": "0", "source": SOURCE})

    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fadmin%2Ftemplates%2Fbody.html&ended=1")
    assert _count(session, TemplateOverride) == 0


# The sign-in post


@pytest.mark.parametrize(("kept_form", "next_path", "fields"), [
    ("ask", "/queue", {"subject": SUBJECT, "question": QUESTION}),
    ("template", "/admin/templates/subject.txt", {"version": "0", "source": SOURCE}),
    ("draft-reject", "/drafts/1", {"reason": REASON}),
    ("draft-reject", "/drafts/1", {"version": "1 OR 1=1", "reason": REASON}),
    ("no-such-form", "/ask", {"subject": SUBJECT, "question": QUESTION}),
])
def test_sign_in_drops_unfit_kept_form(client: TestClient, users, make_draft,
                                       kept_form: str, next_path: str,
                                       fields: dict[str, str]) -> None:
    make_draft()
    login = client.get("/login")

    response = client.post("/login", data={
        "csrf_token": form_token(login.text), "username": "ada", "password": PASSWORD,
        "next": next_path, "kept_form": kept_form, **fields})

    assert response.status_code == 303
    assert response.headers["location"] == next_path


# A sign-in form whose CSRF cookie has lapsed

BODY = "Yes: append modifier 25 to the E/M code, per the <b>operative</b> note."


def _form_post(kept_form: str, draft_id: int) -> tuple[str, dict[str, str], str]:
    """Return the path, the fields and the kept text of a post of the form *kept_form*."""
    posts = {
        "draft-edit": (f"/drafts/{draft_id}/edit",
                       {"version": "1", "body": BODY, "action": "save"}, BODY),
        "draft-reject": (f"/drafts/{draft_id}/reject", {"version": "1", "reason": REASON},
                         REASON),
        "ask": ("/ask", {"subject": SUBJECT, "question": QUESTION}, QUESTION),
        "template": ("/admin/templates/body.txt", {"version": "0", "source": SOURCE}, SOURCE),
    }
    return posts[kept_form]


def _post_after_session_end(client: TestClient, token: str, kept_form: str,
                            draft_id: int) -> tuple[str, str]:
    """Post the form *kept_form* with *token*; return the sign-in page and the kept text."""
    path, data, text = _form_post(kept_form, draft_id)
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 401, response.text
    return response.text, text


KEPT_FORMS = ["draft-edit", "draft-reject", "ask", "template"]
EXPIRED = "This sign-in form had expired, so you were not signed in."


@pytest.mark.parametrize("kept_form", KEPT_FORMS)
def test_lapsed_sign_in_form_keeps_text(client: TestClient, users, make_draft,
                                        session: Session, kept_form: str) -> None:
    draft = make_draft()
    token = sign_in(client, "ada")
    end_sessions(session)
    ended, text = _post_after_session_end(client, token, kept_form, draft.id)
    client.cookies.delete(login_csrf_cookie_name())

    expired = client.post("/login", data=sign_in_form(ended),
                          headers={"Sec-Fetch-Site": "same-origin"})

    assert expired.status_code == 403
    assert EXPIRED in expired.text
    assert "60 minutes after a sign-in page was last opened" in expired.text
    assert "not shown again" not in expired.text
    before = sign_in_form(ended)
    after = sign_in_form(expired.text)
    assert after["csrf_token"] != before["csrf_token"]
    assert {**after, "csrf_token": ""} == {**before, "csrf_token": ""}
    assert html.escape(text, quote=False) in expired.text
    assert input_value(expired.text, "username") == "ada"
    assert expired.cookies.get(login_csrf_cookie_name()) == form_token(expired.text)
    assert client.get("/queue").status_code == 303

    restored = client.post("/login", data=sign_in_form(expired.text))
    session.refresh(draft)

    assert restored.status_code == 200
    assert "You are signed in again." in restored.text
    assert html.escape(text, quote=False) in restored.text
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 1
    assert _count(session, TemplateOverride) == 0


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {}])
def test_lapsed_form_from_other_site_drops_text(client: TestClient, users, make_draft,
                                                session: Session,
                                                headers: dict[str, str]) -> None:
    draft = make_draft()
    token = sign_in(client, "ada")
    end_sessions(session)
    ended, text = _post_after_session_end(client, token, "draft-edit", draft.id)
    client.cookies.delete(login_csrf_cookie_name())

    expired = client.post("/login", data=sign_in_form(ended), headers=headers)

    assert expired.status_code == 403
    assert EXPIRED in expired.text
    assert "The text that the form carried is not shown again" in expired.text
    assert "operative" not in expired.text
    assert 'id="unsaved-' not in expired.text
    assert hidden_value(expired.text, "kept_form") is None
    assert hidden_value(expired.text, "next") == f"/drafts/{draft.id}"
    assert client.get("/queue").status_code == 303


def test_lapsed_form_without_kept_text(client: TestClient, users) -> None:
    login = client.get("/login", params={"next": "/held"})
    client.cookies.delete(login_csrf_cookie_name())
    fields = sign_in_form(login.text)
    fields["username"] = "rita"

    expired = client.post("/login", data=fields)
    signed_in = client.post("/login", data=sign_in_form(expired.text))

    assert expired.status_code == 403
    assert EXPIRED in expired.text
    assert "not shown again" not in expired.text
    assert input_value(expired.text, "username") == "rita"
    assert hidden_value(expired.text, "next") == "/held"
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/held"


# A page of an ended session, posted after signing in again in another tab


@pytest.mark.parametrize("kept_form", KEPT_FORMS)
def test_old_tab_post_opens_form_in_new_session(client: TestClient, users, make_draft,
                                                session: Session, kept_form: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    draft = make_draft()
    old_token = sign_in(client, "ada")
    end_sessions(session)
    sign_in(client, "ada")
    path, data, text = _form_post(kept_form, draft.id)
    caplog.set_level(logging.DEBUG)

    response = client.post(path, data={"csrf_token": old_token, **data},
                           headers={"Sec-Fetch-Site": "same-origin"})
    session.refresh(draft)

    assert response.status_code == 200, response.text
    assert "You are signed in again." in response.text
    assert html.escape(text, quote=False) in response.text
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 1
    assert _count(session, TemplateOverride) == 0
    assert _count(session, CaseEvent) == 0
    assert "carried the token of an ended session" in caplog.text
    assert "operative" not in caplog.text
    assert "payment" not in caplog.text


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {}])
def test_old_tab_post_from_other_site_is_refused(client: TestClient, users, make_draft,
                                                 session: Session,
                                                 headers: dict[str, str]) -> None:
    draft = make_draft()
    old_token = sign_in(client, "ada")
    end_sessions(session)
    sign_in(client, "ada")
    path, data, _ = _form_post("draft-edit", draft.id)

    response = client.post(path, data={"csrf_token": old_token, **data}, headers=headers)
    session.refresh(draft)

    assert response.status_code == 403
    assert "the form expired or did not come from this site" in response.text
    assert "operative" not in response.text
    assert draft.version == 1


def test_old_tab_template_post_needs_an_admin(client: TestClient, users,
                                              session: Session) -> None:
    old_token = sign_in(client, "ada")
    end_sessions(session)
    sign_in(client, "rita")
    path, data, _ = _form_post("template", 0)

    response = client.post(path, data={"csrf_token": old_token, **data},
                           headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 403
    assert "this page is for admins only" in response.text
    assert "kept override" not in response.text
    assert _count(session, TemplateOverride) == 0


# The code lookup box and the queue search

LOOKUP = "J1100 x2 and <b>99213-25</b>"


def test_expired_lookup_runs_after_sign_in(client: TestClient, users,
                                           session: Session) -> None:
    token = sign_in(client, "rita")
    end_sessions(session)

    ended = client.post("/codes", data={"csrf_token": token, "q": LOOKUP})
    restored = client.post("/login", data=sign_in_form(ended.text))

    assert ended.status_code == 401
    assert "Your session ended before your lookup reached the server" in ended.text
    assert "nothing was looked up" in ended.text
    assert input_text(ended.text, "unsaved-q") == LOOKUP
    assert restored.status_code == 200
    assert "Searched for: J1100 x2 and &lt;b&gt;99213-25&lt;/b&gt;" in restored.text
    assert '<td class="code">J1100</td>' in restored.text


def test_expired_search_runs_after_sign_in(client: TestClient, users, make_draft,
                                           session: Session) -> None:
    make_draft()
    token = sign_in(client, "rita")
    end_sessions(session)

    ended = client.post("/queue/search", data={"csrf_token": token, "q": "no such words"})
    restored = client.post("/login", data=sign_in_form(ended.text))

    assert ended.status_code == 401
    assert "the queue was not searched" in ended.text
    assert input_text(ended.text, "unsaved-q") == "no such words"
    assert restored.status_code == 303
    assert restored.headers["location"] == "/queue"
    queue = client.get("/queue")
    assert 'value="no such words"' in queue.text
    assert "No drafts match." in queue.text


def test_old_tab_lookup_runs_in_new_session(client: TestClient, users,
                                            session: Session) -> None:
    old_token = sign_in(client, "rita")
    end_sessions(session)
    sign_in(client, "rita")

    response = client.post("/codes", data={"csrf_token": old_token, "q": "J1100"},
                           headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 200
    assert '<td class="code">J1100</td>' in response.text


def test_old_tab_search_runs_in_new_session(client: TestClient, users,
                                            session: Session) -> None:
    old_token = sign_in(client, "rita")
    end_sessions(session)
    sign_in(client, "rita")

    response = client.post("/queue/search", data={"csrf_token": old_token, "q": "J1100"},
                           headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 303
    assert 'value="J1100"' in client.get("/queue").text
