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


def test_lookup_page_shows_cpt_section(client: TestClient, users) -> None:
    token = sign_in(client, "rita")

    page = client.post("/codes", data={"csrf_token": token, "q": "99213-25"})

    rows = _rows(page.text)
    assert rows["99213"][0] == "section only"
    assert "Section: Evaluation and Management &gt; Office or Other Outpatient Services" \
        in rows["99213"][1]
    assert "Section: CPT modifier" in rows["25"][1]
