"""The code lookup box: found, not found and not checked, as drafts and ``codes lookup`` report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from consultant.codes import importers
from tests.conftest import write_small_hcpcs_file
from tests.web.conftest import sign_in
from tests.web.test_api import api_sign_in


def _rows(html: str) -> dict[str, tuple[str, str]]:
    """Return the status badge and the last cell of each row of the lookup table, by code."""
    rows = re.findall(r'<td class="code">(.*?)</td>.*?<span class="status status-\w+">(.*?)</span>'
                      r"</td>\s*<td>(.*?)</td></tr>", html, re.DOTALL)
    return {code: (status, details) for code, status, details in rows}


def test_lookup_page_code_set_not_loaded(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": "J1100 and M17.11"})

    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows["J1100"][0] == "not checked"
    assert rows["M17.11"][0] == "not checked"
    assert "no HCPCS Level II edition is loaded" in rows["J1100"][1]
    assert "no ICD-10-CM edition is loaded" in rows["M17.11"][1]
    # The summary leaves the reason to the note, which names the set that is missing.
    assert "can neither confirm nor reject it" in rows["J1100"][1]
    assert "is in force" not in page.text
    assert "not found" not in page.text
    assert "Not in the loaded code sets" not in page.text


def test_lookup_page_single_token_not_loaded(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": "LT"})

    rows = _rows(page.text)
    assert rows["LT"][0] == "not checked"
    assert "caseconsultant codes import hcpcs PATH" in rows["LT"][1]
    assert "Not in the loaded code sets" not in page.text


def test_lookup_api_code_set_not_loaded(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    codes = client.post("/api/v1/codes/lookup", headers=headers,
                        json={"text": "J1100"}).json()

    assert [code["code"] for code in codes] == ["J1100"]
    assert codes[0]["status"] == "not_checked"
    assert codes[0]["unchecked"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The HCPCS file is the 2026 January edition, which ends with March 2026.
        ("DOS 02/10/2026: A0428 and A0429", "not found"),
        ("DOS 11/25/2026: A0428 and A0429", "not checked"),
        # Without a date of service the newest edition must be in force today.
        ("A0428 and A0429", "not checked"),
    ],
)
def test_lookup_page_by_hcpcs_quarter(client: TestClient, users, session: Session,
                                      tmp_path: Path, text: str, expected: str) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": text})

    rows = _rows(page.text)
    assert rows["A0428"][0] == "valid"
    assert rows["A0429"][0] == expected




def test_lookup_page_token_ended_edition(client: TestClient, users, session: Session,
                                         tmp_path: Path) -> None:
    importers.import_hcpcs(session, write_small_hcpcs_file(tmp_path))
    session.commit()
    token = sign_in(client, "rita")

    # 9Z is missing from the 2026 January edition, which ended before today.
    page = client.post("/codes", data={"csrf_token": token, "q": "9Z"})

    rows = _rows(page.text)
    assert rows["9Z"][0] == "not checked"
    assert "9Z is not a modifier in HCPCS Level II 2026 Jan" in rows["9Z"][1]
    assert "2026 Jan, ended on 2026-03-31" in rows["9Z"][1]
    assert "Not in the loaded code sets" not in page.text


def test_lookup_api_agrees_with_command(client: TestClient, users, session: Session) -> None:
    from click.testing import CliRunner

    from consultant.cli import main

    importers.import_icd10cm(session)
    session.commit()
    headers = api_sign_in(client, "rita")

    codes = client.post("/api/v1/codes/lookup", headers=headers,
                        json={"text": "ZZZ99"}).json()
    command = CliRunner().invoke(main, ["codes", "lookup", "ZZZ99", "--json"])

    assert command.exit_code == 1, command.output
    answer = json.loads(command.output)
    assert len(codes) == 1
    for key in ("system", "code", "status", "messages", "unchecked"):
        assert codes[0][key] == answer[key], key
    assert codes[0]["system"] == ""
    assert codes[0]["code"] == "ZZZ99"
    assert codes[0]["system_label"] == ""


# Each text with the rows expected for it, and the mistyped code as written. The date of
# service puts the FY2026 April 1 update of ICD-10-CM in force.
MISTYPED = [
    ("J3301 ZZZ99", [("J3301", "hcpcs", "not_checked"), ("ZZZ99", "", "not_found")], "ZZZ99"),
    ("99213 992135", [("99213", "cpt", "section_only"), ("992135", "", "not_found")], "992135"),
    ("M17.11, M1711X", [("M17.11", "icd10cm", "valid"), ("M17.11X", "icd10cm", "not_found")],
     "M1711X"),
    ("J3301 J33O1", [("J3301", "hcpcs", "not_checked"), ("J33.O1", "icd10cm", "not_found")],
     "J33O1"),
    ("M1711X then M17.11", [("M17.11X", "icd10cm", "not_found"), ("M17.11", "icd10cm", "valid")],
     "M1711X"),
]


def test_lookup_api_keeps_mistyped_codes(client: TestClient, users, session: Session) -> None:
    from click.testing import CliRunner

    from consultant.cli import main

    importers.import_icd10cm(session)
    session.commit()
    headers = api_sign_in(client, "rita")

    for text, expected, mistyped in MISTYPED:
        codes = client.post("/api/v1/codes/lookup", headers=headers,
                            json={"text": f"DOS 05/01/2026: {text}"}).json()
        assert [(code["code"], code["system"], code["status"]) for code in codes] == expected, text

        # The row of the mistyped code is the one ``codes lookup`` prints for it alone.
        row = next(code for code in codes if code["status"] == "not_found")
        command = CliRunner().invoke(main, ["codes", "lookup", "--date", "2026-05-01", "--json",
                                            mistyped])
        assert command.exit_code == 1, command.output
        answer = json.loads(command.output)
        for key in ("system", "code", "status", "messages"):
            assert row[key] == answer[key], (text, key)


def test_lookup_page_shows_mistyped_code(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": "J3301 ZZZ99"})

    rows = _rows(page.text)
    assert list(rows) == ["J3301", "ZZZ99"]
    assert rows["ZZZ99"][0] == "not found"
    assert "ZZZ99 is not shaped like a CPT, HCPCS Level II" in rows["ZZZ99"][1]


def test_lookup_api_skips_words_and_numbers(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")
    text = ("Can we bill J3301 40mg x2, or ZZZ99? (Seen on the 2nd visit in 2026, "
            "ICD10 codes E11 and M17, 1.5 units at $150.00)")

    codes = client.post("/api/v1/codes/lookup", headers=headers, json={"text": text}).json()

    assert [code["code"] for code in codes] == ["J3301", "ZZZ99", "E11", "M17"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J3301 ZZZ99", ["J3301", "ZZZ99"]),
        ("ZZZ99, zzz99 and (ZZZ99).", ["ZZZ99"]),
        ("99213-992135/25", ["99213", "992135"]),
        ("9Z and E11.9X", ["9Z", "E11.9X"]),
        ("2026 40mg 2nd x19 10x 12.5 0001 ICD10 icd10cm CPT4", []),
        # X1 to X5 are HCPCS Level II modifiers; units are written with a lower-case x.
        ("x4 X4", ["X4"]),
        ("and the DOS please ZZZZZ", []),
        ("M17.1.1 A12345678 J3301:", ["J3301"]),
    ],
)
def test_code_like_words(text: str, expected: list[str]) -> None:
    from consultant.web.tools import code_like_words

    assert [word for _, word in code_like_words(text, [])] == expected


def test_code_like_words_skips_read_spans() -> None:
    from consultant.web.tools import code_like_words

    # The extractor read "99213-25" as 99213 at 0-5 and the modifier 25 at 6-8.
    assert code_like_words("99213-25 992135", [(0, 5), (6, 8)]) == [(9, "992135")]


def test_lookup_page_shows_cpt_section(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": "99213-25"})

    rows = _rows(page.text)
    assert rows["99213"][0] == "section only"
    assert "Section: Evaluation and Management &gt; Office or Other Outpatient Services" \
        in rows["99213"][1]
    assert "Section: CPT modifier" in rows["25"][1]


def test_lookup_api_names_length_limit(client: TestClient, users) -> None:
    headers = api_sign_in(client, "rita")

    response = client.post("/api/v1/codes/lookup", headers=headers, json={"text": "J" * 501})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid or missing fields: body.text: at most 500 characters"}


def test_lookup_page_rejects_text_over_limit(client: TestClient, users) -> None:
    token = sign_in(client, "rita")
    text = "J3301 " * 100 + "ZZZ99"
    shorter = "J3301 " * 82 + "ZZZ99"

    too_long = client.post("/codes", data={"csrf_token": token, "q": text})
    at_limit = client.post("/codes", data={"csrf_token": token, "q": shorter})

    assert too_long.status_code == 422
    assert ('<p class="error" role="alert" id="lookup-error">the lookup text has 605 characters, '
            "more than the maximum of 500; shorten it and try again</p>" in too_long.text)
    assert '<td class="code">' not in too_long.text
    assert len(shorter) == 497
    assert at_limit.status_code == 200
    assert list(_rows(at_limit.text)) == ["J3301", "ZZZ99"]
