"""Ask on the web page, in the JSON API and on the command line: one rule for empty questions."""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from consultant.cli import main
from consultant.errors import EmptyQuestion
from consultant.review import services
from tests.web.conftest import sign_in
from tests.web.test_api import api_sign_in

EMPTY_QUESTION = str(EmptyQuestion())
BLANK_QUESTIONS = ["", " ", "\r\n\t  \r\n", "\u00a0\u2003"]


@pytest.mark.parametrize("question", BLANK_QUESTIONS)
def test_api_ask_rejects_empty_question(client: TestClient, users, question: str) -> None:
    headers = api_sign_in(client, "rita")

    response = client.post("/api/v1/ask", headers=headers,
                           json={"subject": "Modifier question 99213", "question": question})

    assert response.status_code == 422
    assert response.json() == {"detail": EMPTY_QUESTION}


def test_api_ask_without_question_field(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    response = client.post("/api/v1/ask", headers=headers, json={"subject": "99213"})

    assert response.status_code == 422
    assert response.json() == {"detail": "invalid or missing fields: body.question: missing"}


def test_api_ask_names_length_limits(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    too_long = client.post("/api/v1/ask", headers=headers,
                           json={"subject": "S" * 501, "question": "Q" * 24_000})
    at_limit = client.post("/api/v1/ask", headers=headers,
                           json={"subject": "S" * 500, "question": "Is 20610 ok? " * 1538})

    assert too_long.status_code == 422
    assert too_long.json() == {"detail": "invalid or missing fields: "
                                         "body.subject: at most 500 characters; "
                                         "body.question: at most 20000 characters"}
    assert at_limit.status_code == 200


def test_ask_form_rejects_question_over_limit(client: TestClient, users) -> None:
    token = sign_in(client, "rita")
    question = "Can we bill 20610? " * 1264

    response = client.post("/ask", data={"csrf_token": token, "subject": "Knee 20610",
                                         "question": question})

    assert len(question) == 24_016
    assert response.status_code == 422
    assert ('<p class="error" role="alert" id="ask-error">the question has 24,016 characters, '
            "more than the maximum of 20,000; shorten it and try again</p>" in response.text)
    assert 'value="Knee 20610"' in response.text
    assert question.strip() in html.unescape(response.text)
    assert 'id="ask-reply"' not in response.text
    assert 'maxlength="20000"' in response.text


def test_ask_form_rejects_subject_over_limit(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    response = client.post("/ask", data={"csrf_token": token, "subject": "S" * 501,
                                         "question": "Can we bill 20610?"})

    assert response.status_code == 422
    assert "the subject has 501 characters, more than the maximum of 500" in response.text
    assert 'id="ask-reply"' not in response.text


def test_api_ask_drafts_question(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    response = client.post("/api/v1/ask", headers=headers,
                           json={"subject": "Modifier question", "question": "Is 99213-25 ok?"})

    assert response.status_code == 200
    assert response.json()["subject"] == "Re: Modifier question"
    assert "99213" in [code["code"] for code in response.json()["codes"]]


@pytest.mark.parametrize("question", BLANK_QUESTIONS)
def test_ask_form_shows_empty_question_error(client: TestClient, users, question: str) -> None:
    token = sign_in(client, "rita")

    response = client.post("/ask", data={"csrf_token": token, "subject": "Knee 20610",
                                         "question": question})

    assert response.status_code == 422
    assert (f'<p class="error" role="alert" id="ask-error">{html.escape(EMPTY_QUESTION)}</p>'
            in response.text)
    assert 'value="Knee 20610"' in response.text
    assert 'id="ask-reply"' not in response.text
    assert services.PLACEHOLDER not in response.text


def test_ask_form_without_error_shows_reply(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    response = client.post("/ask", data={"csrf_token": token, "subject": "",
                                         "question": "Can we bill 20610?"})

    assert response.status_code == 200
    assert 'id="ask-error"' not in response.text
    assert 'id="ask-reply"' in response.text


def test_empty_question_same_everywhere(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")
    token = client.get("/ask").text.split('name="csrf_token" value="')[1].split('"')[0]

    api = client.post("/api/v1/ask", headers=headers, json={"question": "  "})
    page = client.post("/ask", data={"csrf_token": token, "question": "  "})
    command = CliRunner().invoke(main, ["ask"], input="  \n")

    assert api.json()["detail"] == EMPTY_QUESTION
    assert html.escape(EMPTY_QUESTION) in page.text
    assert command.exit_code == 1
    assert command.output == f"error: {EMPTY_QUESTION}\n"


def test_api_ask_reads_form_line_ends(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")
    lines = ['"Acct","DOS","HCPCS","Mod","Units","CARC"',
             '"40031177","03/02/2026","J2270","","3","CO-151"',
             '"40032450","03/04/2026","G0378","","49","N362"',
             "Are these keying errors?"]
    replies = [
        client.post("/api/v1/ask", headers=headers,
                    json={"subject": "MUE denials", "question": end.join(lines)}).json()
        for end in ("\n", "\r\n")
    ]

    assert replies[0]["codes"] == replies[1]["codes"]
    assert sorted(code["code"] for code in replies[1]["codes"]) == ["G0378", "J2270"]
