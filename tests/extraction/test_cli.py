"""``caseconsultant extract`` on stdin, as text and as an email message."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from consultant.cli import main


def test_extract_prints_table():
    result = CliRunner().invoke(main, ["extract"], input="Seen 11/25/2025, 99213-25 dx E11.9\n")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["cpt", "99213"]
    assert "modifiers 25" in lines[0]
    assert any(line.split()[:2] == ["icd10cm", "E11.9"] for line in lines)


def test_extract_prints_units_per_line():
    result = CliRunner().invoke(main, ["extract"], input="J9305 x 95 and J9305-JW x 5\n")
    assert result.exit_code == 0
    assert "lines J9305 x95 / J9305-JW x5" in result.output
    assert "units" not in result.output


def test_extract_json_message():
    message = "Subject: 97110 x3?\nFrom: coder@example.com\n\nNDC 0409-4888-02 with J1100\n"
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=message)
    assert result.exit_code == 0
    data = json.loads(result.output)
    found = {item["code"]: item for item in data}
    assert set(found) == {"97110", "J1100"}
    assert found["97110"]["units"] == 3
    assert found["97110"]["subject_positions"] == [[0, 5]]
    assert found["J1100"]["positions"] == [[22, 27]]
    assert all(item["validity"] != "unrecognised" for item in data)


def test_extract_html_only_message():
    message = (
        "Subject: question\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        "<p>Bill <b>99214</b>&nbsp;with dx E11.9?</p>\n"
    )
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=message)
    assert result.exit_code == 0
    codes = [item["code"] for item in json.loads(result.output)]
    assert codes == ["99214", "E11.9"]


def test_extract_invalid_utf8():
    result = CliRunner().invoke(main, ["extract", "--json"], input=b"caf\xe9 99213-25\n")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [item["code"] for item in data] == ["99213", "25"]
    assert data[0]["positions"] == [[5, 10]]


def test_extract_latin1_message():
    message = (
        b"Subject: =?iso-8859-1?q?Caf=E9_99214?=\nContent-Type: text/plain; charset=iso-8859-1\n"
        b"\n\xc9t\xe9: 97110 x2\n"
    )
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=message)
    assert result.exit_code == 0
    found = {item["code"]: item for item in json.loads(result.output)}
    assert found["99214"]["subject_positions"] == [[5, 10]]
    assert found["97110"]["positions"] == [[5, 10]]
    assert found["97110"]["units"] == 2


def test_extract_subject_option():
    result = CliRunner().invoke(main, ["extract", "--subject", "Re: 99215?"], input="E11.9\n")
    assert result.exit_code == 0
    assert "subject 4-9" in result.output


def test_extract_empty_input():
    result = CliRunner().invoke(main, ["extract", "--json"], input="")
    assert result.exit_code == 1
    assert "standard input is empty" in result.output


def test_extract_message_with_nul_in_header():
    message = (b"From: dana@clinic.example.com\r\nSubject: Bill 99213\x00 today?\r\n"
               b"X-Tr\x00ce: 1\r\n\r\nCan we bill it with E11.9?\r\n")
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=message)
    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.output)}
    assert found["99213"]["subject_positions"] == [[5, 10]]
    assert "E11.9" in found


def test_extract_message_in_unknown_charset():
    message = (b"Subject: =?x-unknown?q?99214?=\r\nContent-Type: text/plain; charset=x-unknown\r\n"
               b"\r\nBill with E11.9?\r\n")
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=message)
    assert result.exit_code == 0, result.output
    codes = [item["code"] for item in json.loads(result.output)]
    assert codes == ["99214", "E11.9"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "standard input is empty"),
        (b" \r\n", "standard input is empty"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(16), "standard input is not text (24 bytes"),
    ],
)
def test_extract_message_rejects_non_text(data: bytes, message: str):
    result = CliRunner().invoke(main, ["extract", "--message", "--json"], input=data)
    assert result.exit_code == 1
    assert message in result.output
