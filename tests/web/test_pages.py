"""The web pages over HTTP: sign-in, sessions, CSRF, headers, queue, draft actions and tools."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.drafting.text import DESCRIPTION_NOT_INCLUDED
from consultant.review import services
from consultant.storage.base import utcnow
from consultant.storage.models import DraftState, LoginFailure, WebSession
from consultant.users.services import MAX_FAILURES_PER_USERNAME, list_users
from consultant.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import write_small_hcpcs_file
from tests.web.conftest import PASSWORD, form_token, question_bytes, sign_in

ANSWER = "Yes: append modifier 25 to the E/M code."


def test_pages_redirect_to_login(client: TestClient, session: Session) -> None:
    for path in ("/queue", "/drafts/1", "/held", "/ask", "/cases/1", "/users"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={quote(path, safe='')}"


def test_sign_in_sets_hardened_cookie(client: TestClient, users) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": "rita", "password": PASSWORD,
                                           "csrf_token": form_token(page.text)})

    cookie = next(value for name, value in response.headers.multi_items()
                  if name == "set-cookie" and value.startswith("__Host-caseconsultant="))
    assert response.status_code == 303
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert client.get("/queue").status_code == 200
    # The sign-in form's cookie is deleted with the flags a __Host- cookie needs.
    deletion = next(value for name, value in response.headers.multi_items()
                    if name == "set-cookie"
                    and value.startswith("__Host-caseconsultant_login_csrf="))
    assert "Max-Age=0" in deletion
    assert "Secure" in deletion
    assert "Path=/" in deletion


def test_sign_in_form_sets_hardened_cookie(client: TestClient) -> None:
    page = client.get("/login")

    cookie = next(value for name, value in page.headers.multi_items()
                  if name == "set-cookie"
                  and value.startswith("__Host-caseconsultant_login_csrf="))
    assert f"={form_token(page.text)};" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


def test_sign_in_wrong_password(client: TestClient, users) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": "rita", "password": "wrong password!",
                                           "csrf_token": form_token(page.text)})

    assert response.status_code == 401
    assert "wrong username or password" in response.text
    assert client.get("/queue").status_code == 303


def test_sign_in_without_csrf_fails(client: TestClient, users) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "rita", "password": PASSWORD,
                                           "csrf_token": "forged"})

    assert response.status_code == 403


def test_sign_in_rate_limited(client: TestClient, users, session: Session) -> None:
    for _attempt in range(MAX_FAILURES_PER_USERNAME):
        page = client.get("/login")
        client.post("/login", data={"username": "rita", "password": "not the password",
                                    "csrf_token": form_token(page.text)})
    page = client.get("/login")
    response = client.post("/login", data={"username": "rita", "password": PASSWORD,
                                           "csrf_token": form_token(page.text)})

    assert response.status_code == 429
    assert session.scalar(select(LoginFailure.id).limit(1)) is not None


def test_disabled_user_cannot_sign_in(client: TestClient, users, session: Session) -> None:
    users["remy"].disabled = True
    session.commit()
    page = client.get("/login")

    response = client.post("/login", data={"username": "remy", "password": PASSWORD,
                                           "csrf_token": form_token(page.text)})

    assert response.status_code == 401


def test_sign_out_ends_session(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert client.get("/queue").status_code == 303


def test_idle_session_expires(client: TestClient, users, session: Session) -> None:
    sign_in(client, "rita")
    session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    session.commit()

    assert client.get("/queue").status_code == 303
    assert session.scalar(select(WebSession.id)) is None


def test_security_headers(client: TestClient, users) -> None:
    sign_in(client, "rita")

    response = client.get("/queue")

    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "img-src 'self' data:" in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/queue/search", "/drafts/1/claim", "/drafts/1/release",
                                  "/drafts/1/reject", "/held/1/retry", "/codes", "/ask",
                                  "/logout", "/users"])
def test_forms_need_csrf_token(client: TestClient, users, make_draft, path: str) -> None:
    make_draft()
    sign_in(client, "ada")

    response = client.post(path, data={"csrf_token": "forged", "version": "1", "reason": "x",
                                       "q": "x", "question": "x", "username": "newbie",
                                       "password": PASSWORD})

    assert response.status_code == 403


def test_queue_lists_draft_without_phi_in_links(client: TestClient, users, make_draft) -> None:
    draft = make_draft(subject="Knee injection 20610", sender="pat.doe@ortho.example.net")
    sign_in(client, "rita")

    page = client.get("/queue").text

    assert f'href="/drafts/{draft.id}"' in page
    assert "ortho.example.net" in page
    assert "pat.doe@" not in page
    assert "Knee injection 20610" in page


def test_queue_search_kept_out_of_url(client: TestClient, users, make_draft) -> None:
    make_draft(subject="Shoulder question 23472")
    make_draft(subject="Hip question 27130")
    token = sign_in(client, "rita")

    response = client.post("/queue/search", data={"q": "Hip", "csrf_token": token})
    page = client.get(response.headers["location"]).text

    assert response.headers["location"] == "/queue"
    assert "Hip question 27130" in page
    assert "Shoulder question 23472" not in page


def test_draft_page_shows_question_and_codes(client: TestClient, users, make_draft) -> None:
    draft = make_draft(body="Can we bill 99213-25 with 20610? Dx M17.11")
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    assert "Can we bill 99213-25 with 20610? Dx M17.11" in page
    for code in ("99213", "20610", "M17.11"):
        assert f'<td class="code">{code}' in page
    assert "Approve and send" in page
    assert f'name="version" value="{draft.version}"' in page


def test_draft_page_shows_each_modifier_set(client: TestClient, users, make_draft) -> None:
    draft = make_draft(body="Bill 27447 RT, 27447 LT, or 27447-50? And 99213-25 today.")
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    assert '<td class="code">27447-RT<br>27447-LT<br>27447-50</td>' in page
    assert '<td class="code">99213-25</td>' in page


def test_queue_names_the_invalid_state(client: TestClient, users) -> None:
    sign_in(client, "rita")

    response = client.get("/queue?state=pending_review&state=bogus")

    assert response.status_code == 400
    assert "invalid state 'bogus'; use one of pending_review" in html.unescape(response.text)


def test_draft_page_shows_units_per_line(client: TestClient, users, make_draft) -> None:
    draft = make_draft(body="Bill J9305 x 95 on line 1 and J9305-JW x 5 on line 2?")
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    assert '<td class="code">J9305 ×95<br>J9305-JW ×5</td>' in page


def test_approve_through_form(client: TestClient, users, make_draft, session: Session,
                              sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "approve"})

    session.refresh(draft)
    assert response.status_code == 303
    assert draft.state is DraftState.APPROVED
    assert draft.approved_version == 2
    assert draft.reviewer == "rita"
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_approval_sent_twice_redirects(client: TestClient, users, make_draft,
                                       session: Session, sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    form = {"csrf_token": token, "version": "1", "action": "approve",
            "body": draft.body_text.replace(services.PLACEHOLDER, ANSWER)}
    client.post(f"/drafts/{draft.id}/edit", data=form)

    again = client.post(f"/drafts/{draft.id}/edit", data=form)

    session.refresh(draft)
    assert again.status_code == 303
    assert again.headers["location"] == f"/drafts/{draft.id}"
    assert draft.state is DraftState.APPROVED
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_stale_approval_is_refused(client: TestClient, users, make_draft, session: Session,
                                   sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "save"})

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body + "\nMore.", "action": "approve"})

    session.refresh(draft)
    assert response.status_code == 409
    assert "More." in response.text
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 2
    assert sent_tasks == []


def _editor_text(page: str) -> str:
    """Return the text in the draft page's editor, as a browser would submit it."""
    editor = page.partition('<textarea id="body"')[2].partition(">")[2]
    # A browser drops the line break that follows the opening tag.
    return html.unescape(editor.partition("</textarea>")[0].removeprefix("\n"))


def _form_version(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the page has no version field"
    return match.group(1)


def test_approve_with_placeholder_keeps_text(client: TestClient, users, make_draft,
                                             session: Session, sent_tasks,
                                             caplog: pytest.LogCaptureFixture) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    # A browser without JavaScript sends the lines ended by CRLF.
    edited = (draft.body_text + "\nI checked the operative note.").replace("\n", "\r\n")
    caplog.set_level(logging.INFO)

    without_answer = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": edited, "action": "approve"})
    session.refresh(draft)

    assert without_answer.status_code == 400
    assert 'id="edit-form"' in without_answer.text
    assert _editor_text(without_answer.text) == edited
    message = without_answer.text.partition('id="edit-error">')[2].partition("</p>")[0]
    assert html.unescape(message) == (
        f'Not approved, and nothing was saved. The reply still contains "{services.PLACEHOLDER}". '
        "Replace it with your answer, then choose Approve and send again.")
    assert "--answer-file" not in without_answer.text
    assert "That did not work" not in without_answer.text
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 1
    assert draft.assignee is None
    assert sent_tasks == []
    assert (f"approval of draft={draft.id} rejected: answer placeholder left in, "
            f"user_id={users['rita'].id}") in caplog.text
    assert "operative note" not in caplog.text

    # The reviewer writes the answer into the text that came back and approves again.
    answered = _editor_text(without_answer.text).replace(services.PLACEHOLDER, ANSWER)
    approved = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": _form_version(without_answer.text), "body": answered,
        "action": "approve"})
    session.refresh(draft)

    assert approved.status_code == 303
    assert draft.state is DraftState.APPROVED
    assert ANSWER in draft.body_text
    assert "I checked the operative note." in draft.body_text
    assert sent_tasks == [("send_reply", (draft.id,))]


def test_save_with_placeholder_is_stored(client: TestClient, users, make_draft,
                                         session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    edited = draft.body_text + "\nDraft note, answer to follow."

    saved = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": edited, "action": "save"})
    session.refresh(draft)

    assert saved.status_code == 303
    assert draft.version == 2
    assert draft.body_text == edited


def test_editor_keeps_leading_blank_line(client: TestClient, users, make_draft,
                                         session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    edited = "\n" + draft.body_text

    client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": edited, "action": "save"})
    page = client.get(f"/drafts/{draft.id}").text

    assert _editor_text(page) == edited


@pytest.mark.parametrize("action", ["save", "approve"])
def test_stale_edit_keeps_text(client: TestClient, users, make_draft, session: Session,
                               sent_tasks, action: str) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "save"})

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body + "\nMore <b>text</b>.",
        "action": action})
    session.refresh(draft)

    assert response.status_code == 409
    assert "The draft changed while you were editing" in response.text
    assert "More &lt;b&gt;text&lt;/b&gt;." in response.text
    assert draft.version == 2
    assert draft.state is DraftState.PENDING_REVIEW
    assert sent_tasks == []


@pytest.mark.parametrize("action", ["save", "approve"])
def test_edit_of_claimed_draft_keeps_text(client: TestClient, users, make_draft,
                                          session: Session, sent_tasks, action: str) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/claim", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": token})
    token = sign_in(client, "remy")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": action})
    session.refresh(draft)

    assert response.status_code == 409
    assert _editor_text(response.text) == body
    message = html.unescape(response.text.partition('id="edit-error">')[2].partition("</p>")[0])
    verb = "approved" if action == "approve" else "saved"
    assert message.startswith(f"Not {verb}: draft {draft.id} is claimed by rita")
    assert "Your text is still in the editor" in message
    assert draft.version == 1
    assert draft.assignee == "rita"
    assert sent_tasks == []


def test_edit_of_rejected_draft_keeps_text(client: TestClient, users, make_draft,
                                           session: Session, sent_tasks) -> None:
    draft = make_draft()
    token = sign_in(client, "remy")
    client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "Needs the operative note"})
    client.post("/logout", data={"csrf_token": token})
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "approve"})
    session.refresh(draft)

    assert response.status_code == 409
    assert "The draft changed while you were editing" in response.text
    assert f"draft {draft.id} is rejected" in response.text
    assert html.escape(ANSWER, quote=False) in response.text
    assert draft.state is DraftState.REJECTED
    assert sent_tasks == []


def test_other_reviewer_cannot_approve(client: TestClient, users, make_draft,
                                       session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/claim", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": token})
    token = sign_in(client, "remy")

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": "x", "action": "approve"})

    assert response.status_code == 409
    assert "claimed by rita" in response.text


def test_reject_through_form(client: TestClient, users, make_draft, session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "Not a coding question"})

    session.refresh(draft)
    assert response.status_code == 303
    assert draft.state is DraftState.REJECTED
    assert "Not a coding question" in client.get(f"/drafts/{draft.id}").text


def _reject_form(page: str) -> tuple[str, str]:
    """Return the Reject form's error and its reason field's value, unescaped."""
    form = page.partition('action="/drafts/')[2].partition('/reject"')[2].partition("</form>")[0]
    error = form.partition('id="reject-error">')[2].partition("</p>")[0]
    reason = form.partition('name="reason" value="')[2].partition('"')[0]
    return html.unescape(error), html.unescape(reason)


def test_reject_of_changed_reply_keeps_reason(client: TestClient, users, make_draft,
                                              session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": "Edited reply", "action": "save"})

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "Duplicate of the call on <Monday>"})
    session.refresh(draft)
    error, reason = _reject_form(response.text)

    assert response.status_code == 409
    assert error.startswith("Not rejected: the reply changed since version 1")
    assert reason == "Duplicate of the call on <Monday>"
    assert 'name="version" value="2"' in response.text
    assert draft.state is DraftState.PENDING_REVIEW


def test_reject_of_claimed_draft_keeps_reason(client: TestClient, users, make_draft,
                                              session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/claim", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": token})
    token = sign_in(client, "remy")

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "Not a coding question"})
    session.refresh(draft)
    error, reason = _reject_form(response.text)

    assert response.status_code == 409
    assert error.startswith(f"Not rejected: draft {draft.id} is claimed by rita")
    assert reason == "Not a coding question"
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.assignee == "rita"


def test_reject_after_review_shows_reason(client: TestClient, users, make_draft,
                                          session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "First reason"})

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "Second reason"})
    session.refresh(draft)

    assert response.status_code == 409
    assert "The draft changed while you were editing" in response.text
    assert f"draft {draft.id} is rejected" in response.text
    assert "Second reason" in response.text
    assert draft.reject_reason == "First reason"


def test_reject_without_reason_shows_form(client: TestClient, users, make_draft,
                                          session: Session) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")

    response = client.post(f"/drafts/{draft.id}/reject", data={
        "csrf_token": token, "version": "1", "reason": "   "})
    session.refresh(draft)
    error, _reason = _reject_form(response.text)

    assert response.status_code == 400
    assert error == "Not rejected: write the reason for rejecting."
    assert draft.state is DraftState.PENDING_REVIEW


def test_hostile_html_is_sanitised(client: TestClient, users, make_draft) -> None:
    hostile = ('<p onmouseover="steal()">Hello<script>window.pwned=1</script>'
               '<img src="https://tracker.example.net/pixel.gif" onerror="steal()">'
               '<a href="javascript:steal()">click</a></p>')
    draft = make_draft(raw=question_bytes(html=hostile, body="Hello, plain part"))
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text
    sanitised = page.split('<div class="sanitised">', 1)[1].split("</details>", 1)[0]

    assert "1 image blocked" in page
    assert "Hello" in sanitised
    assert "click</a>" in sanitised
    for fragment in ("<script", "<img", "onmouseover", "onerror", "tracker.example.net",
                     "javascript:", "window.pwned"):
        assert fragment not in page.replace('<script src="/static/app.js" defer></script>', ""), \
            fragment


def test_case_page_shows_audit_trail(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    token = sign_in(client, "rita")
    client.post(f"/drafts/{draft.id}/claim", data={"csrf_token": token})

    page = client.get(f"/cases/{draft.case_id}").text

    assert "new -&gt; pending_review" in page
    assert "claimed" in page


def test_users_page_is_admin_only(client: TestClient, users) -> None:
    sign_in(client, "rita")

    assert client.get("/users").status_code == 403


def test_admin_adds_and_disables_user(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")

    added = client.post("/users", data={"csrf_token": token, "username": "newbie",
                                        "password": PASSWORD, "role": "reviewer"})
    disabled = client.post("/users/newbie/disabled", data={"csrf_token": token,
                                                           "disabled": "true"})
    self_disable = client.post("/users/ada/disabled", data={"csrf_token": token,
                                                            "disabled": "true"})

    assert added.status_code == 303
    assert disabled.status_code == 303
    assert self_disable.status_code == 400
    assert "newbie" in client.get("/users").text


def test_add_user_error_keeps_username(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    typed = "Short pass!"

    short = client.post("/users", data={"csrf_token": token, "username": "newbie",
                                        "password": typed, "role": "admin"})
    taken = client.post("/users", data={"csrf_token": token, "username": "rita",
                                        "password": PASSWORD, "role": "reviewer"})

    assert short.status_code == 400
    assert "<h1>Users</h1>" in short.text
    assert ('<p class="error" role="alert" id="add-user-error">the password is too short; '
            "use at least 12 characters" in short.text)
    assert 'name="username" value="newbie"' in short.text
    assert "<option selected>admin</option>" in short.text
    assert typed not in short.text
    assert "Back to the queue" not in short.text
    assert taken.status_code == 400
    assert "a user named &#39;rita&#39; already exists" in taken.text
    assert 'name="username" value="rita"' in taken.text
    assert PASSWORD not in taken.text
    assert "newbie" not in [account.username for account in list_users(session)]


def test_short_password_shows_users_page(client: TestClient, users) -> None:
    token = sign_in(client, "ada")
    typed = "Short pass!"

    response = client.post("/users/rita/password", data={"csrf_token": token,
                                                         "password": typed})

    assert response.status_code == 400
    assert ('<p class="error" role="alert" id="password-error">password of rita not changed: '
            "the password is too short" in response.text)
    assert typed not in response.text
    assert "Back to the queue" not in response.text


def test_code_lookup_and_ask(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "rita")

    lookup = client.post("/codes", data={"csrf_token": token, "q": "99213-25"})
    ask = client.post("/ask", data={"csrf_token": token, "subject": "Modifier question",
                                    "question": "Can we bill 99213-25 with 20610?"})

    assert lookup.status_code == 200
    assert '<td class="code">99213</td>' in lookup.text
    assert ask.status_code == 200
    assert "Re: Modifier question" in ask.text
    assert services.PLACEHOLDER in ask.text


def test_ask_page_shows_unchecked_code(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    # No code set is loaded, so neither code can be checked.
    ask = client.post("/ask", data={"csrf_token": token, "subject": "",
                                    "question": "Can we bill 99201? Dx M17.11"})

    assert ask.status_code == 200
    reply = ask.text.partition('id="ask-reply"')[2].partition("</pre>")[0]
    notes = ask.text.partition('id="ask-reviewer-notes"')[2].partition("</ul>")[0]
    assert "Not found" not in reply
    assert reply.count(DESCRIPTION_NOT_INCLUDED) == 2
    assert "<code>99201</code>: CPT descriptors are licensed by the AMA" in notes
    assert "<code>M17.11</code>: no ICD-10-CM edition is loaded" in notes


def _status_badges(html: str) -> dict[str, str]:
    """Return the status badge of each row of the draft page's code table, by its code."""
    rows = re.findall(r'<td class="code">(.*?)</td>.*?<span class="status status-\w+">(.*?)</span>',
                      html, re.DOTALL)
    return dict(rows)


@pytest.mark.parametrize(
    ("date_of_service", "expected"),
    [("02/10/2026", "not found"), ("11/25/2026", "not checked")],
)
def test_draft_page_badge_by_hcpcs_quarter(
    client: TestClient, users, make_draft, session: Session, tmp_path: Path,
    date_of_service: str, expected: str,
) -> None:
    from consultant.codes import importers

    # The HCPCS file is the 2026 January edition, which ends with March 2026.
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()
    draft = make_draft(body=f"DOS {date_of_service}: can we bill A0428-DD and A0429?")
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}")

    badges = _status_badges(page.text)
    assert badges["A0428-DD"] == "valid"
    assert badges["DD"] == expected
    assert badges["A0429"] == expected


def test_logs_carry_no_phi(client: TestClient, users, make_draft,
                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    draft = make_draft(subject="Private subject 20610", sender="pat.doe@ortho.example.net")
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)
    client.post(f"/drafts/{draft.id}/edit", data={"csrf_token": token, "version": "1",
                                                  "body": body, "action": "approve"})

    for fragment in ("Private subject", "pat.doe", "ortho.example.net", ANSWER, PASSWORD):
        assert fragment not in caplog.text, fragment


def test_draft_page_shows_earlier_exchange(client: TestClient, users, make_draft,
                                           session: Session) -> None:
    first = make_draft(subject="First question 20610", body="Is 20610 right for the knee?")
    follow_up = make_draft(raw=question_bytes(
        subject=f"Re: {first.subject}", body="And may we add 99213-25 on the same day?",
        extra_headers=f"In-Reply-To: {first.reply_message_id}\r\n"
                      f"References: {first.reply_message_id}\r\n"))
    sign_in(client, "rita")

    page = client.get(f"/drafts/{follow_up.id}").text

    assert follow_up.case_id == first.case_id
    assert "Earlier exchange" in page
    assert "Is 20610 right for the knee?" in page
    assert f'href="/drafts/{first.id}"' in page


def test_draft_page_warns_when_superseded(client: TestClient, users, make_draft,
                                          make_follow_up) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    sign_in(client, "rita")

    older = client.get(f"/drafts/{first.id}").text
    newer = client.get(f"/drafts/{follow_up.id}").text

    assert '<div class="notice superseded" id="superseded" role="alert">' in older
    assert "this draft answers an earlier question of the case" in older
    assert f'<a href="/drafts/{follow_up.id}">draft {follow_up.id}</a> (pending review)' in older
    assert 'name="even_if_superseded"' in older
    assert 'id="superseded"' not in newer
    assert 'name="even_if_superseded"' not in newer


def test_queue_marks_superseded_drafts(client: TestClient, users, make_draft,
                                      make_follow_up) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    sign_in(client, "rita")

    page = client.get("/queue").text

    assert f'superseded by <a href="/drafts/{follow_up.id}">draft {follow_up.id}</a>' in page
    assert page.count('class="superseded"') == 1


def test_superseded_approval_needs_the_box(client: TestClient, users, make_draft,
                                           make_follow_up, session: Session,
                                           sent_tasks) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    token = sign_in(client, "rita")
    body = first.body_text.replace(services.PLACEHOLDER, ANSWER)
    form = {"csrf_token": token, "version": "1", "body": body, "action": "approve"}

    unconfirmed = client.post(f"/drafts/{first.id}/edit", data=form)
    session.refresh(first)
    unconfirmed_state, unconfirmed_version = first.state, first.version
    unconfirmed_assignee = first.assignee
    confirmed = client.post(f"/drafts/{first.id}/edit",
                            data={**form, "even_if_superseded": "yes"})
    session.refresh(first)

    assert unconfirmed.status_code == 409
    assert 'id="edit-error"' in unconfirmed.text
    assert f"draft {follow_up.id} (pending review)" in unconfirmed.text
    assert "Nothing was saved" in unconfirmed.text
    assert "Send this older answer anyway" in unconfirmed.text
    # The reviewer's unsaved answer comes back in the editor.
    assert ANSWER in unconfirmed.text
    assert unconfirmed_state is DraftState.PENDING_REVIEW
    assert unconfirmed_version == 1
    assert unconfirmed_assignee is None
    assert confirmed.status_code == 303
    assert first.state is DraftState.APPROVED
    assert first.reviewer == "rita"
    assert sent_tasks == [("send_reply", (first.id,))]


def test_refused_approval_logs_no_claim(client: TestClient, users, make_draft,
                                        make_follow_up, session: Session,
                                        caplog: pytest.LogCaptureFixture) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    token = sign_in(client, "rita")
    body = first.body_text.replace(services.PLACEHOLDER, ANSWER)
    form = {"csrf_token": token, "version": "1", "body": body, "action": "approve"}
    caplog.set_level(logging.INFO)

    refused = client.post(f"/drafts/{first.id}/edit", data=form)
    refused_log = caplog.text
    caplog.clear()
    claimed = client.post(f"/drafts/{first.id}/claim", data={"csrf_token": token})
    session.refresh(first)

    assert refused.status_code == 409
    assert "claimed draft=" not in refused_log
    assert (f"approval of draft={first.id} rejected: superseded by drafts [{follow_up.id}] "
            f"and not confirmed, user_id={users['rita'].id}") in refused_log
    assert claimed.status_code == 303
    assert first.assignee == "rita"
    assert f"claimed draft={first.id} user_id={users['rita'].id}" in caplog.text


def test_session_ends_at_max_lifetime(client: TestClient, users, session: Session) -> None:
    sign_in(client, "rita")
    session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()

    assert client.get("/queue").status_code == 303


def test_approval_never_opens_smtp(client: TestClient, users, make_draft, session: Session,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import smtplib

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the web request opened an SMTP connection")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setattr(smtplib, "SMTP_SSL", refuse)
    draft = make_draft()
    token = sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, ANSWER)

    response = client.post(f"/drafts/{draft.id}/edit", data={
        "csrf_token": token, "version": "1", "body": body, "action": "approve"})

    session.refresh(draft)
    assert response.status_code == 303
    assert draft.state is DraftState.APPROVED


def test_draft_page_warns_of_read_errors(client: TestClient, users, make_draft) -> None:
    raw = (b"From: dana@clinic.example.com\r\nTo: coding-help@example.org\r\n"
           b"Subject: =?x-unknown?Q?99213_question?=\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
           b"Can we bill 99213 today?\r\n")
    broken = make_draft(raw=raw)
    clean = make_draft()
    sign_in(client, "rita")

    warned = client.get(f"/drafts/{broken.id}").text
    plain = client.get(f"/drafts/{clean.id}").text

    assert broken.inbound_message.defects
    assert 'id="defects"' in warned
    assert broken.inbound_message.defects[0] in html.unescape(warned)
    assert 'id="defects"' not in plain
