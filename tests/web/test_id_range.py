"""Ids and page numbers too large for the database's integer columns, in pages and API.

An id that cannot exist gets the same response as an id that does not exist, and a
page number out of range the same response as a page that is not a number.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from consultant.review.queries import MAX_PAGE
from consultant.storage.ids import MAX_ID
from tests.web.conftest import sign_in
from tests.web.test_api import api_sign_in

# The first id past int4, where PostgreSQL fails, and the first past 64 bits, where
# SQLite fails.
OUT_OF_RANGE = [MAX_ID + 1, 2**63]
MISSING_ID = 999


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("path", ["/drafts/{}", "/drafts/{}/attachments/1", "/cases/{}",
                                  "/held/{}"])
def test_page_of_huge_id_is_404(client: TestClient, users, path: str, number: int) -> None:
    sign_in(client, "rita")

    missing = client.get(path.format(MISSING_ID))
    response = client.get(path.format(number))

    assert missing.status_code == 404
    assert response.status_code == 404
    assert "That did not work" in response.text
    assert response.text == missing.text.replace(f"id {MISSING_ID}", f"id {number}")


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_form_on_huge_draft_id_is_404(client: TestClient, users, number: int) -> None:
    token = sign_in(client, "rita")

    response = client.post(f"/drafts/{number}/claim", data={"csrf_token": token})

    assert response.status_code == 404
    assert f"no draft with id {number}" in response.text


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_admin_form_on_huge_rule_id_is_404(client: TestClient, users, number: int) -> None:
    token = sign_in(client, "ada")

    response = client.post(f"/admin/senders/{number}/delete", data={"csrf_token": token})

    assert response.status_code == 404
    assert f"sender rule {number} not found" in response.text


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("path", ["/api/v1/drafts/{}", "/api/v1/held/{}"])
def test_api_huge_id_is_404(client: TestClient, users, path: str, number: int) -> None:
    api_sign_in(client, "rita")

    missing = client.get(path.format(MISSING_ID))
    response = client.get(path.format(number))

    assert missing.status_code == 404
    assert response.status_code == 404
    assert response.json() == {
        "detail": missing.json()["detail"].replace(f"id {MISSING_ID}", f"id {number}")}


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_api_action_on_huge_draft_id_is_404(client: TestClient, users, number: int) -> None:
    headers = api_sign_in(client, "rita")

    response = client.post(f"/api/v1/drafts/{number}/approve", headers=headers,
                           json={"body_text": "Yes.", "expected_version": 1})

    assert response.status_code == 404
    assert response.json()["detail"].startswith(f"no draft with id {number};")


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_api_audit_of_huge_case_id_is_404(client: TestClient, users, number: int) -> None:
    api_sign_in(client, "rita")

    missing = client.get(f"/api/v1/cases/{MISSING_ID}/audit")
    response = client.get(f"/api/v1/cases/{number}/audit")

    assert missing.status_code == 404
    assert missing.json()["detail"].startswith(f"no case with id {MISSING_ID};")
    assert response.status_code == 404
    assert response.json()["detail"].startswith(f"no case with id {number};")


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_api_admin_huge_ids_are_404(client: TestClient, users, number: int) -> None:
    headers = api_sign_in(client, "ada")

    paused = client.post(f"/api/v1/admin/mailboxes/{number}/paused", headers=headers,
                         json={"paused": True})
    deleted = client.delete(f"/api/v1/admin/sender-rules/{number}", headers=headers)

    assert paused.status_code == 404
    assert paused.json() == {"detail": f"mailbox {number} not found"}
    assert deleted.status_code == 404
    assert deleted.json() == {"detail": f"sender rule {number} not found"}


@pytest.mark.parametrize("number", [MAX_PAGE + 1, 2**63])
def test_queue_page_out_of_range_is_422(client: TestClient, users, number: int) -> None:
    sign_in(client, "rita")

    not_a_number = client.get("/queue?page=abc")
    response = client.get(f"/queue?page={number}")

    assert response.status_code == 422
    assert f"invalid or missing fields: query.page: at most {MAX_PAGE}" in response.text
    assert not_a_number.status_code == 422
    assert "invalid or missing fields: query.page: not a whole number" in not_a_number.text


def test_queue_last_possible_page_is_empty(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    sign_in(client, "rita")

    response = client.get(f"/queue?page={MAX_PAGE}")

    assert response.status_code == 200
    assert "No drafts match." in response.text
    assert f'href="/drafts/{draft.id}"' not in response.text


@pytest.mark.parametrize("number", [MAX_PAGE + 1, 2**63])
def test_api_page_out_of_range_is_422(client: TestClient, users, number: int) -> None:
    headers = api_sign_in(client, "rita")

    listed = client.get(f"/api/v1/drafts?page={number}")
    searched = client.post("/api/v1/drafts/search", headers=headers,
                           json={"text": "knee", "page": number})

    assert listed.status_code == 422
    assert listed.json() == {
        "detail": f"invalid or missing fields: query.page: at most {MAX_PAGE}"}
    assert searched.status_code == 422
    assert searched.json() == {
        "detail": f"invalid or missing fields: body.page: at most {MAX_PAGE}"}


def test_api_last_possible_page_is_empty(client: TestClient, users, make_draft) -> None:
    make_draft()
    api_sign_in(client, "rita")

    response = client.get(f"/api/v1/drafts?page={MAX_PAGE}&per_page=200")

    assert response.status_code == 200
    assert response.json() == {"rows": [], "total": 1, "page": MAX_PAGE, "pages": 1}


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_queue_huge_mailbox_lists_nothing(client: TestClient, users, make_draft,
                                          number: int) -> None:
    draft = make_draft()
    sign_in(client, "rita")

    page = client.get(f"/queue?mailbox={number}")
    api = client.get(f"/api/v1/drafts?mailbox={number}")

    assert page.status_code == 200
    assert f'href="/drafts/{draft.id}"' not in page.text
    assert api.status_code == 200
    assert api.json()["rows"] == []


@pytest.mark.parametrize("value", ["%C2%B2", "9" * 4400])
def test_queue_mailbox_not_an_id_lists_all(client: TestClient, users, make_draft,
                                           value: str) -> None:
    draft = make_draft()
    sign_in(client, "rita")

    page = client.get(f"/queue?mailbox={value}")

    assert page.status_code == 200
    assert f'href="/drafts/{draft.id}"' in page.text
