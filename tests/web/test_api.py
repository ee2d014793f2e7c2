"""The JSON API: sign-in, CSRF header, the draft actions and the OpenAPI document."""

from __future__ import annotations

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.review import services
from consultant.storage.models import DraftState, InboundMessage, MessageState
from consultant.users.services import MAX_FAILURES_PER_USERNAME
from tests.web.conftest import PASSWORD


def api_sign_in(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def test_openapi_lists_actions(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()

    for path in ("/api/v1/drafts", "/api/v1/drafts/{draft_id}/approve",
                 "/api/v1/drafts/{draft_id}/reject", "/api/v1/held/{message_id}/retry",
                 "/api/v1/ask", "/api/v1/codes/lookup", "/api/v1/cases/{case_id}/audit"):
        assert path in document["paths"], path
    assert "/login" not in document["paths"]


def test_api_needs_session(client: TestClient, session: Session) -> None:
    response = client.get("/api/v1/drafts")

    assert response.status_code == 401
    assert response.json() == {"detail": "not signed in"}


def test_api_wrong_password(client: TestClient, users) -> None:
    response = client.post("/api/v1/session", json={"username": "rita", "password": "nope nope"})

    assert response.status_code == 401


def test_api_failed_sign_ins_are_limited(client: TestClient, users) -> None:
    wrong = {"username": "rita", "password": "nope nope"}
    for _attempt in range(MAX_FAILURES_PER_USERNAME):
        assert client.post("/api/v1/session", json=wrong).status_code == 401

    locked = client.post("/api/v1/session", json={"username": "rita", "password": PASSWORD})

    assert locked.status_code == 429
    assert "too many failed sign-ins" in locked.json()["detail"]


def test_api_sign_in_after_cli_unlock(client: TestClient, users) -> None:
    wrong = {"username": "rita", "password": "nope nope"}
    for _attempt in range(MAX_FAILURES_PER_USERNAME):
        assert client.post("/api/v1/session", json=wrong).status_code == 401
    right = {"username": "rita", "password": PASSWORD}
    assert client.post("/api/v1/session", json=right).status_code == 429

    unlocked = CliRunner().invoke(main, ["users", "unlock", "rita"])

    assert unlocked.exit_code == 0, unlocked.output
    assert client.post("/api/v1/session", json=right).status_code == 200


def test_api_post_needs_csrf_header(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    api_sign_in(client, "rita")

    response = client.post(f"/api/v1/drafts/{draft.id}/claim")

    assert response.status_code == 403


def test_api_review_flow(client: TestClient, users, make_draft, session: Session,
                         sent_tasks) -> None:
    draft = make_draft()
    headers = api_sign_in(client, "rita")
    body = draft.body_text.replace(services.PLACEHOLDER, "Yes, with modifier 25.")

    listed = client.get("/api/v1/drafts").json()
    claimed = client.post(f"/api/v1/drafts/{draft.id}/claim", headers=headers).json()
    saved = client.post(f"/api/v1/drafts/{draft.id}/save", headers=headers,
                        json={"body_text": body, "expected_version": 1}).json()
    stale = client.post(f"/api/v1/drafts/{draft.id}/approve", headers=headers,
                        json={"expected_version": 1})
    approved = client.post(f"/api/v1/drafts/{draft.id}/approve", headers=headers,
                           json={"expected_version": 2}).json()
    audit = client.get(f"/api/v1/cases/{draft.case_id}/audit").json()

    assert [row["draft_id"] for row in listed["rows"]] == [draft.id]
    assert claimed["assignee"] == "rita"
    assert saved["version"] == 2
    assert stale.status_code == 409
    assert approved["state"] == DraftState.APPROVED.value
    assert approved["approved_version"] == 2
    assert sent_tasks == [("send_reply", (draft.id,))]
    assert [entry["action"] for entry in audit][-1] == "pending_review -> approved"


def test_api_lists_unclaimed_drafts(client: TestClient, users, make_draft) -> None:
    claimed = make_draft(subject="Hip question 27130")
    unclaimed = make_draft(subject="Shoulder question 23472")
    headers = api_sign_in(client, "rita")
    client.post(f"/api/v1/drafts/{claimed.id}/claim", headers=headers)

    by_word = client.get("/api/v1/drafts?assignee=unclaimed").json()
    by_dash = client.get("/api/v1/drafts?assignee=-").json()
    by_name = client.get("/api/v1/drafts?assignee=rita").json()
    anyone = client.get("/api/v1/drafts").json()

    assert [row["draft_id"] for row in by_word["rows"]] == [unclaimed.id]
    assert [row["draft_id"] for row in by_dash["rows"]] == [unclaimed.id]
    assert [row["draft_id"] for row in by_name["rows"]] == [claimed.id]
    assert [row["draft_id"] for row in anyone["rows"]] == [claimed.id, unclaimed.id]


def test_api_audit_of_unknown_case(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    api_sign_in(client, "rita")

    known = client.get(f"/api/v1/cases/{draft.case_id}/audit")
    unknown = client.get("/api/v1/cases/99999/audit")
    page = client.get("/cases/99999")

    assert known.status_code == 200
    assert known.json() != []
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("no case with id 99999; ")
    assert page.status_code == 404
    assert "no case with id 99999; " in page.text


def test_api_reject_and_search(client: TestClient, users, make_draft) -> None:
    draft = make_draft(subject="Hip question 27130")
    make_draft(subject="Shoulder question 23472")
    headers = api_sign_in(client, "remy")

    found = client.post("/api/v1/drafts/search", headers=headers, json={"text": "hip"}).json()
    rejected = client.post(f"/api/v1/drafts/{draft.id}/reject", headers=headers,
                           json={"reason": "Duplicate of an earlier case"}).json()

    assert [row["draft_id"] for row in found["rows"]] == [draft.id]
    assert rejected["state"] == "rejected"


def test_api_held_retry(client: TestClient, users, session: Session, sent_tasks) -> None:
    message = InboundMessage(message_id="<held@example.com>", raw=b"Subject: x\r\n\r\nbody",
                             size=17, sha256="0" * 64, state=MessageState.IGNORED,
                             error="auto-reply")
    session.add(message)
    session.commit()
    headers = api_sign_in(client, "rita")

    listed = client.get("/api/v1/held").json()
    retried = client.post(f"/api/v1/held/{message.id}/retry", headers=headers).json()

    assert [row["id"] for row in listed] == [message.id]
    assert retried["state"] == "received"
    assert sent_tasks == [("process_message", (message.id,))]


def test_api_ask_and_lookup(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    reply = client.post("/api/v1/ask", headers=headers,
                        json={"subject": "Dx", "question": "Is M17.11 billable?"}).json()
    codes = client.post("/api/v1/codes/lookup", headers=headers, json={"text": "M17.11"}).json()

    assert reply["subject"] == "Re: Dx"
    assert [code["code"] for code in reply["codes"]] == ["M17.11"]
    assert [code["code"] for code in codes] == ["M17.11"]


def test_api_reviewer_cannot_assign_others(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    headers = api_sign_in(client, "rita")

    response = client.post(f"/api/v1/drafts/{draft.id}/assign", headers=headers,
                           json={"assignee": "remy"})

    assert response.status_code == 403


def test_api_claimed_draft_advice_by_role(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    client.post(f"/api/v1/drafts/{draft.id}/claim", headers=api_sign_in(client, "rita"))
    edit = {"body_text": "Yes, with modifier 25.", "expected_version": 1}

    by_reviewer = client.post(f"/api/v1/drafts/{draft.id}/save",
                              headers=api_sign_in(client, "remy"), json=edit)
    by_admin = client.post(f"/api/v1/drafts/{draft.id}/save",
                           headers=api_sign_in(client, "ada"), json=edit)
    admin_claim = client.post(f"/api/v1/drafts/{draft.id}/claim",
                              headers=api_sign_in(client, "ada"))

    assert by_reviewer.status_code == 409
    assert by_reviewer.json()["detail"] == (f"draft {draft.id} is claimed by rita; "
                                            "ask them or an admin to release it")
    assert by_admin.status_code == 409
    assert by_admin.json()["detail"] == (f"draft {draft.id} is claimed by rita; as an admin, "
                                         "assign it to yourself with Assign on the draft page")
    assert admin_claim.status_code == 409
    assert admin_claim.json()["detail"] == by_admin.json()["detail"]


def test_api_admin_assigns_and_releases(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    headers = api_sign_in(client, "ada")

    assigned = client.post(f"/api/v1/drafts/{draft.id}/assign", headers=headers,
                           json={"assignee": "remy"}).json()
    released = client.post(f"/api/v1/drafts/{draft.id}/release", headers=headers).json()

    assert assigned["assignee"] == "remy"
    assert released["assignee"] is None


def test_api_superseded_approval(client: TestClient, users, make_draft, make_follow_up,
                                 sent_tasks) -> None:
    first = make_draft()
    follow_up = make_follow_up(first)
    headers = api_sign_in(client, "rita")
    body = first.body_text.replace(services.PLACEHOLDER, "Yes, with modifier 25.")

    shown = client.get(f"/api/v1/drafts/{first.id}").json()
    newest = client.get(f"/api/v1/drafts/{follow_up.id}").json()
    queue_rows = {row["draft_id"]: row for row in client.get("/api/v1/drafts").json()["rows"]}
    unconfirmed = client.post(f"/api/v1/drafts/{first.id}/approve", headers=headers,
                          json={"body_text": body, "expected_version": 1})
    confirmed = client.post(f"/api/v1/drafts/{first.id}/approve", headers=headers,
                            json={"body_text": body, "expected_version": 1,
                                  "even_if_superseded": True})

    assert shown["superseded_by"] == [follow_up.id]
    assert newest["superseded_by"] == []
    assert queue_rows[first.id]["superseded_by"] == [follow_up.id]
    assert queue_rows[follow_up.id]["superseded_by"] == []
    assert unconfirmed.status_code == 409
    assert "Send even_if_superseded: true" in unconfirmed.json()["detail"]
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == DraftState.APPROVED.value
    assert sent_tasks == [("send_reply", (first.id,))]


def test_api_approval_with_placeholder(client: TestClient, users, make_draft, session: Session,
                                       sent_tasks) -> None:
    draft = make_draft()
    headers = api_sign_in(client, "rita")

    response = client.post(f"/api/v1/drafts/{draft.id}/approve", headers=headers,
                           json={"body_text": draft.body_text + "\nEdited.",
                                 "expected_version": 1})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"draft {draft.id} still contains {services.PLACEHOLDER!r}; write the answer first. "
        "Send body_text with the answer in place of the placeholder")
    session.refresh(draft)
    assert draft.state is DraftState.PENDING_REVIEW
    assert draft.version == 1
    assert draft.assignee is None
    assert sent_tasks == []
