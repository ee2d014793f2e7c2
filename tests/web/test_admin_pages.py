"""The admin pages over HTTP: mailboxes, sender rules and reply templates, with role checks."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.admin import reply_templates, sender_rules
from consultant.storage.models import Mailbox, SenderRule, TemplateOverride, TemplateVersion
from tests.web.conftest import sign_in
from tests.web.session_end import hidden_value, textarea_text

ADMIN_GETS = ["/admin/mailboxes", "/admin/senders", "/admin/templates",
              "/admin/templates/body.txt", "/admin/templates/body.html"]
ADMIN_POSTS = [
    ("/admin/mailboxes/1/poll", {}),
    ("/admin/mailboxes/1/paused", {"paused": "true"}),
    ("/admin/senders", {"pattern": "example.net", "action": "deny"}),
    ("/admin/senders/1/delete", {}),
    ("/admin/templates/body.txt", {"source": "Hello\n", "version": "0"}),
    ("/admin/templates/body.txt/revert", {}),
]


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_admin_page_needs_sign_in(client: TestClient, session: Session, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(path, safe='')}"


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_reviewer_gets_403_on_admin_page(client: TestClient, users, path: str) -> None:
    sign_in(client, "rita")

    assert client.get(path).status_code == 403


@pytest.mark.parametrize(("path", "data"), ADMIN_POSTS)
def test_reviewer_gets_403_on_admin_form(client: TestClient, users, mailbox_rows,
                                         session: Session, path: str,
                                         data: dict[str, str]) -> None:
    rule = sender_rules.add_rule(session, "example.org", "deny", "", "ada")
    session.commit()
    token = sign_in(client, "rita")

    response = client.post(path.replace("/1/", f"/{rule.id}/"), data={**data, "csrf_token": token})

    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(SenderRule)) == 1
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


@pytest.mark.parametrize(("path", "data"), ADMIN_POSTS)
def test_admin_form_needs_csrf(client: TestClient, users, mailbox_rows, path: str,
                               data: dict[str, str]) -> None:
    sign_in(client, "ada")

    response = client.post(path, data={**data, "csrf_token": "forged"})

    assert response.status_code == 403
    assert "form expired" in response.text


def test_admin_navigation_links(client: TestClient, users) -> None:
    sign_in(client, "ada")
    admin_page = client.get("/queue").text
    client.cookies.clear()
    sign_in(client, "rita")
    reviewer_page = client.get("/queue").text

    for link in ("/admin/mailboxes", "/admin/senders", "/admin/templates"):
        assert f'href="{link}"' in admin_page, link
        assert f'href="{link}"' not in reviewer_page, link


def test_mailboxes_page_lists_state(client: TestClient, users, mailbox_rows) -> None:
    sign_in(client, "ada")

    page = client.get("/admin/mailboxes").text

    assert mailbox_rows["configured"].key in page
    assert mailbox_rows["retired"].key in page
    assert "1700000001" in page
    assert "a1b2c3d4" in page
    assert "drafted 1" in page
    assert "quarantined 1" in page
    assert page.count("Poll now") == 2  # the intro text and the configured mailbox's button
    assert "password" not in page.lower()


def test_poll_now_enqueues_after_commit(client: TestClient, users, mailbox_rows,
                                        sent_tasks) -> None:
    token = sign_in(client, "ada")

    response = client.post(f"/admin/mailboxes/{mailbox_rows['configured'].id}/poll",
                           data={"csrf_token": token})

    assert response.status_code == 303
    assert sent_tasks == [("poll_mailbox", ())]


def test_poll_now_rejects_unconfigured_mailbox(client: TestClient, users, mailbox_rows,
                                               sent_tasks) -> None:
    token = sign_in(client, "ada")

    response = client.post(f"/admin/mailboxes/{mailbox_rows['retired'].id}/poll",
                           data={"csrf_token": token})

    assert response.status_code == 400
    assert "not the configured mailbox" in response.text
    assert sent_tasks == []


def test_pause_and_resume_mailbox(client: TestClient, users, mailbox_rows, session: Session,
                                  sent_tasks) -> None:
    mailbox_id = mailbox_rows["configured"].id
    token = sign_in(client, "ada")

    paused = client.post(f"/admin/mailboxes/{mailbox_id}/paused",
                         data={"paused": "true", "csrf_token": token})
    session.expire_all()
    assert paused.status_code == 303
    assert session.get_one(Mailbox, mailbox_id).paused
    poll = client.post(f"/admin/mailboxes/{mailbox_id}/poll", data={"csrf_token": token})
    assert poll.status_code == 400
    assert "paused" in poll.text
    assert sent_tasks == []

    client.post(f"/admin/mailboxes/{mailbox_id}/paused",
                data={"paused": "false", "csrf_token": token})
    session.expire_all()
    assert not session.get_one(Mailbox, mailbox_id).paused


def test_pause_unknown_mailbox_is_404(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")

    response = client.post("/admin/mailboxes/999/paused", data={"paused": "true",
                                                                 "csrf_token": token})

    assert response.status_code == 404


def test_add_and_remove_sender_rule(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")

    added = client.post("/admin/senders", data={"pattern": "Spam.Example.net", "action": "deny",
                                                "note": "bulk mailer", "csrf_token": token})
    rule = session.scalars(select(SenderRule)).one()
    page = client.get("/admin/senders").text

    assert added.status_code == 303
    assert rule.pattern == "spam.example.net"
    assert rule.created_by == "ada"
    assert "spam.example.net" in page
    assert "bulk mailer" in page

    removed = client.post(f"/admin/senders/{rule.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 303
    assert session.scalar(select(func.count()).select_from(SenderRule)) == 0


@pytest.mark.parametrize("pattern", ["dana smith@example.com", "example", "dana@"])
def test_malformed_sender_rule_shows_error(client: TestClient, users, session: Session,
                                           pattern: str) -> None:
    token = sign_in(client, "ada")

    response = client.post("/admin/senders", data={"pattern": pattern, "action": "deny",
                                                   "csrf_token": token})

    assert response.status_code == 400
    assert "is not a valid" in response.text
    assert 'role="alert"' in response.text
    assert session.scalar(select(func.count()).select_from(SenderRule)) == 0


def test_sender_rule_addresses_stay_out_of_logs(client: TestClient, users,
                                                caplog: pytest.LogCaptureFixture) -> None:
    token = sign_in(client, "ada")

    with caplog.at_level(logging.DEBUG):
        client.post("/admin/senders", data={"pattern": "secret.person@example.com",
                                             "action": "deny", "csrf_token": token})
        client.post("/admin/senders", data={"pattern": "secret.person@example.com",
                                             "action": "deny", "csrf_token": token})

    assert "secret.person" not in caplog.text


def test_template_pages_show_shipped_source(client: TestClient, users) -> None:
    sign_in(client, "ada")

    listing = client.get("/admin/templates").text
    editor = client.get("/admin/templates/body.txt").text

    assert "replies/consultation/body.txt.j2" in listing
    assert "replies/consultation/body.html.j2" in listing
    assert "Thank you for your coding question" in editor
    assert "The shipped template is in use" in editor


def test_unknown_template_is_404(client: TestClient, users) -> None:
    sign_in(client, "ada")

    assert client.get("/admin/templates/subject.txt").status_code == 404


def test_save_and_revert_template(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    source = "Hello from the override.\n{{ codes | length }} codes\n"

    saved = client.post("/admin/templates/body.txt", data={"source": source, "version": "0",
                                                           "csrf_token": token})
    editor = client.get("/admin/templates/body.txt").text

    assert saved.status_code == 303
    assert "Hello from the override." in editor
    assert "Override version 1, saved by ada" in editor
    override = session.scalars(select(TemplateOverride)).one()
    assert override.source == source

    reverted = client.post("/admin/templates/body.txt/revert", data={"csrf_token": token})
    session.expire_all()
    assert reverted.status_code == 303
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0
    assert session.scalar(select(func.count()).select_from(TemplateVersion)) == 1
    assert "The shipped template is in use" in client.get("/admin/templates/body.txt").text


def _save_as_other_admin(session: Session, source: str) -> None:
    reply_templates.save_override(session, "body.txt", source, "grace")
    session.commit()


def test_save_over_newer_override_conflicts(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    opened = client.get("/admin/templates/body.txt").text
    _save_as_other_admin(session, "Grace's reply\n")
    source = "Ada's reply\n"

    response = client.post("/admin/templates/body.txt", data={
        "source": source, "version": hidden_value(opened, "version"), "csrf_token": token})
    session.expire_all()

    assert hidden_value(opened, "version") == "0"
    assert response.status_code == 409
    assert ("template body.txt changed after you opened it: override version 1 is in use, "
            "not the shipped template; nothing was saved") in response.text
    assert textarea_text(response.text, "source") == source
    assert hidden_value(response.text, "version") == "1"
    assert session.scalars(select(TemplateOverride)).one().source == "Grace's reply\n"

    saved = client.post("/admin/templates/body.txt", data={
        "source": source, "version": "1", "csrf_token": token})
    session.expire_all()

    assert saved.status_code == 303
    assert session.scalars(select(TemplateOverride)).one().source == source
    assert session.scalar(select(func.count()).select_from(TemplateVersion)) == 2


def test_save_after_revert_conflicts(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    _save_as_other_admin(session, "Grace's reply\n")
    opened = client.get("/admin/templates/body.txt").text
    client.post("/admin/templates/body.txt/revert", data={"csrf_token": token})

    response = client.post("/admin/templates/body.txt", data={
        "source": "Ada's reply\n", "version": hidden_value(opened, "version"),
        "csrf_token": token})
    session.expire_all()

    assert response.status_code == 409
    assert ("the shipped template is in use, not override version 1; nothing was saved"
            in response.text)
    assert hidden_value(response.text, "version") == "0"
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


def test_failed_check_keeps_edited_version(client: TestClient, users, session: Session) -> None:
    token = sign_in(client, "ada")
    _save_as_other_admin(session, "Grace's reply\n")

    response = client.post("/admin/templates/body.txt", data={
        "source": "Hello\n{% if codes %}\n", "version": "1", "csrf_token": token})

    assert response.status_code == 422
    assert hidden_value(response.text, "version") == "1"


@pytest.mark.parametrize(("source", "expected"), [
    ("Hello\n{% if codes %}\nno end\n", "line 3: syntax error"),
    ("Hello\n\n{{ patient_name }}\n", "line 3: UndefinedError: 'patient_name' is undefined"),
    ("Hello\n{{ ''.__class__.__mro__ }}\n", "line 2: SecurityError"),
])
def test_invalid_template_shows_line_and_saves_nothing(client: TestClient, users,
                                                       session: Session, source: str,
                                                       expected: str) -> None:
    token = sign_in(client, "ada")

    response = client.post("/admin/templates/body.txt", data={"source": source, "version": "0",
                                                              "csrf_token": token})

    assert response.status_code == 422
    assert expected in response.text.replace("&#39;", "'")
    assert "nothing was saved" in response.text
    assert "no end" in response.text or "Hello" in response.text
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0
    assert session.scalar(select(func.count()).select_from(TemplateVersion)) == 0
