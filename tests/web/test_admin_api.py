"""The admin JSON API: role and CSRF checks, mailboxes, sender rules and templates."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.storage.models import Mailbox, SenderRule, TemplateOverride
from tests.web.test_api import api_sign_in

API_CALLS = [
    ("GET", "/api/v1/admin/mailboxes", None),
    ("POST", "/api/v1/admin/mailboxes/1/poll", None),
    ("POST", "/api/v1/admin/mailboxes/1/paused", {"paused": True}),
    ("GET", "/api/v1/admin/sender-rules", None),
    ("POST", "/api/v1/admin/sender-rules", {"pattern": "example.net", "action": "deny"}),
    ("DELETE", "/api/v1/admin/sender-rules/1", None),
    ("GET", "/api/v1/admin/templates", None),
    ("GET", "/api/v1/admin/templates/body.txt", None),
    ("PUT", "/api/v1/admin/templates/body.txt", {"source": "Hello\n"}),
    ("DELETE", "/api/v1/admin/templates/body.txt", None),
]
CHANGES = [call for call in API_CALLS if call[0] != "GET"]


def test_openapi_documents_admin_endpoints(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]

    assert set(paths["/api/v1/admin/mailboxes"]) == {"get"}
    assert set(paths["/api/v1/admin/mailboxes/{mailbox_id}/poll"]) == {"post"}
    assert set(paths["/api/v1/admin/mailboxes/{mailbox_id}/paused"]) == {"post"}
    assert set(paths["/api/v1/admin/sender-rules"]) == {"get", "post"}
    assert set(paths["/api/v1/admin/sender-rules/{rule_id}"]) == {"delete"}
    assert set(paths["/api/v1/admin/templates"]) == {"get"}
    assert set(paths["/api/v1/admin/templates/{key}"]) == {"get", "put", "delete"}


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_admin_api_needs_session(client: TestClient, session: Session, method: str,
                                 path: str, body: object) -> None:
    assert client.request(method, path, json=body).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_reviewer_gets_403_from_admin_api(client: TestClient, users, mailbox_rows,
                                          session: Session, method: str, path: str,
                                          body: object) -> None:
    headers = api_sign_in(client, "rita")

    response = client.request(method, path, json=body, headers=headers)

    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(SenderRule)) == 0


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_admin_api_needs_csrf_header(client: TestClient, users, mailbox_rows, method: str,
                                     path: str, body: object) -> None:
    api_sign_in(client, "ada")

    response = client.request(method, path, json=body)

    assert response.status_code == 403


def test_api_lists_mailboxes(client: TestClient, users, mailbox_rows) -> None:
    headers = api_sign_in(client, "ada")

    rows = client.get("/api/v1/admin/mailboxes", headers=headers).json()

    configured = next(row for row in rows if row["configured"])
    assert configured["key"] == mailbox_rows["configured"].key
    assert configured["uidvalidity"] == 1700000001
    assert configured["last_uid"] == 42
    assert configured["lease_owner"] == "a1b2c3d4e5f6"
    assert configured["counts"]["drafted"] == 1
    assert configured["counts"]["quarantined"] == 1
    assert configured["counts"]["received"] == 0
    assert len(rows) == 2


def test_api_poll_and_pause(client: TestClient, users, mailbox_rows, session: Session,
                            sent_tasks) -> None:
    headers = api_sign_in(client, "ada")
    mailbox_id = mailbox_rows["configured"].id

    polled = client.post(f"/api/v1/admin/mailboxes/{mailbox_id}/poll", headers=headers)
    paused = client.post(f"/api/v1/admin/mailboxes/{mailbox_id}/paused", headers=headers,
                         json={"paused": True})
    refused = client.post(f"/api/v1/admin/mailboxes/{mailbox_id}/poll", headers=headers)

    assert polled.status_code == 202
    assert sent_tasks == [("poll_mailbox", ())]
    assert paused.json()["paused"] is True
    session.expire_all()
    assert session.get_one(Mailbox, mailbox_id).paused
    assert refused.status_code == 400
    assert "paused" in refused.json()["detail"]


def test_api_sender_rules(client: TestClient, users, session: Session) -> None:
    headers = api_sign_in(client, "ada")

    created = client.post("/api/v1/admin/sender-rules", headers=headers,
                          json={"pattern": "@Clinic.Example.com", "action": "allow",
                                "note": "partner clinic"})
    listed = client.get("/api/v1/admin/sender-rules", headers=headers).json()
    duplicate = client.post("/api/v1/admin/sender-rules", headers=headers,
                            json={"pattern": "clinic.example.com", "action": "allow"})

    assert created.status_code == 201
    assert created.json()["pattern"] == "clinic.example.com"
    assert created.json()["created_by"] == "ada"
    assert [rule["pattern"] for rule in listed] == ["clinic.example.com"]
    assert duplicate.status_code == 400

    deleted = client.delete(f"/api/v1/admin/sender-rules/{created.json()['id']}",
                            headers=headers)
    missing = client.delete(f"/api/v1/admin/sender-rules/{created.json()['id']}",
                            headers=headers)
    assert deleted.status_code == 204
    assert missing.status_code == 404


@pytest.mark.parametrize(("body", "status_code"), [
    ({"pattern": "not an address", "action": "deny"}, 400),
    ({"pattern": "example.com", "action": "block"}, 422),
    ({"action": "deny"}, 422),
])
def test_api_rejects_bad_sender_rule(client: TestClient, users, session: Session,
                                     body: dict[str, str], status_code: int) -> None:
    headers = api_sign_in(client, "ada")

    response = client.post("/api/v1/admin/sender-rules", headers=headers, json=body)

    assert response.status_code == status_code
    assert session.scalar(select(func.count()).select_from(SenderRule)) == 0


def test_api_template_save_and_revert(client: TestClient, users, session: Session) -> None:
    headers = api_sign_in(client, "ada")

    first = client.put("/api/v1/admin/templates/body.html", headers=headers,
                       json={"source": "<p>{{ question }}</p>\n"})
    second = client.put("/api/v1/admin/templates/body.html", headers=headers,
                        json={"source": "<p>Re: {{ subject }}</p>\n"})
    reverted = client.delete("/api/v1/admin/templates/body.html", headers=headers)

    assert first.json()["version"] == 1
    assert second.json()["version"] == 2
    assert second.json()["source"] == "<p>Re: {{ subject }}</p>\n"
    assert [entry["version"] for entry in second.json()["versions"]] == [2, 1]
    assert reverted.json()["overridden"] is False
    assert reverted.json()["source"] == reverted.json()["shipped_source"]
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


def test_api_template_expected_version(client: TestClient, users, session: Session) -> None:
    headers = api_sign_in(client, "ada")

    first = client.put("/api/v1/admin/templates/body.txt", headers=headers,
                       json={"source": "First\n", "expected_version": 0})
    stale = client.put("/api/v1/admin/templates/body.txt", headers=headers,
                       json={"source": "Stale\n", "expected_version": 0})
    second = client.put("/api/v1/admin/templates/body.txt", headers=headers,
                        json={"source": "Second\n", "expected_version": 1})
    negative = client.put("/api/v1/admin/templates/body.txt", headers=headers,
                          json={"source": "Negative\n", "expected_version": -1})

    assert first.status_code == 200
    assert stale.status_code == 409
    assert stale.json()["detail"].startswith(
        "template body.txt changed after you opened it: override version 1 is in use, not "
        "the shipped template")
    assert second.json()["version"] == 2
    assert negative.status_code == 422
    assert session.scalars(select(TemplateOverride)).one().source == "Second\n"


def test_api_template_error_names_line(client: TestClient, users, session: Session) -> None:
    headers = api_sign_in(client, "ada")

    response = client.put("/api/v1/admin/templates/body.txt", headers=headers,
                          json={"source": "one\ntwo\n{{ codes | nonexistent_filter }}\n"})

    assert response.status_code == 422
    assert response.json()["detail"].startswith("line 3: syntax error")
    assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


def test_api_unknown_template_is_404(client: TestClient, users) -> None:
    headers = api_sign_in(client, "ada")

    response = client.put("/api/v1/admin/templates/subject.txt", headers=headers,
                          json={"source": "x"})

    assert response.status_code == 404
