"""Plain text given to parse and extract --message: one test decides what is email."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.parsing import not_a_message_reason

HEADER_LIKE_TEXT = b"Dx: M54.50\nCan we bill 97110 x2 for the low back today?\n"


def test_extract_message_keeps_header_like_first_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["extract", "--message", "--json"], input=HEADER_LIKE_TEXT)

    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.stdout)}
    assert found["M54.50"]["positions"] == [[4, 10]]
    assert found["97110"]["units"] == 2
    assert "note: standard input is not an email message" in result.stderr
    assert "so all of it is read as the body" in result.stderr


def test_extract_message_text_uses_subject_option(runner: CliRunner) -> None:
    result = runner.invoke(main, ["extract", "--message", "--json", "--subject", "Re: 99214"],
                           input=b"Dx: M54.50\n\nAnd 97110?\n")

    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.stdout)}
    assert found["99214"]["subject_positions"] == [[4, 9]]
    assert set(found) == {"99214", "M54.50", "97110"}


def test_extract_message_reads_real_header(runner: CliRunner) -> None:
    raw = b"From: dana@clinic.example.com\r\nSubject: 99213?\r\n\r\nDx: M54.50\r\n"

    result = runner.invoke(main, ["extract", "--message", "--json"], input=raw)

    assert result.exit_code == 0, result.output
    found = {item["code"]: item for item in json.loads(result.stdout)}
    assert found["99213"]["subject_positions"] == [[0, 5]]
    assert found["M54.50"]["positions"] == [[4, 10]]
    assert result.stderr == ""


def test_parse_and_extract_share_message_test(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "question.txt"
    path.write_bytes(HEADER_LIKE_TEXT)
    reason = not_a_message_reason(HEADER_LIKE_TEXT)

    parsed = runner.invoke(main, ["parse", str(path)])
    extracted = runner.invoke(main, ["extract", "--message"], input=HEADER_LIKE_TEXT)

    assert reason is not None
    assert parsed.exit_code == 1
    assert f"is not an email message ({len(HEADER_LIKE_TEXT)} bytes): {reason}." in parsed.output
    assert "header fields, an empty line, then the body" in parsed.output
    assert f"({reason})" in extracted.stderr


def test_parse_rejects_header_only_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "headers.eml"
    path.write_bytes(b"From: dana@clinic.example.com\r\nSubject: 99213?\r\n")

    result = runner.invoke(main, ["parse", str(path)])

    assert result.exit_code == 1
    assert "no empty line follows its header fields" in result.output
    assert "never draft a reply" not in result.output


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "it is empty"),
        (b"Dx: M54.50\nCan we bill it?\n", "line 2 is neither a header field"),
        (b"Dx: M54.50\nPatient: synthetic\n\nCan we bill it?\n",
         "none of its header fields is one that email has"),
        (b"Subject: Knee\nDx: M54.50\n", "no empty line follows its header fields"),
        (b"Can we bill 99213?\n", "its first line is not a header field"),
        (b"\nFrom: dana@clinic.example.com\n\nhi\n", "it starts with a blank line"),
        (b"Date: 2026-11-25\nPt seen for knee pain: right\n\n99213?\n",
         "line 2 is neither a header field"),
        (b"From: dana@clinic.example.com\n\nDx: M54.50\n", None),
        (b"from: dana@clinic.example.com\r\nX-Note: 1\r\n\r\nhi\r\n", None),
        (b"From dana@clinic.example.com Mon Jan  5 10:00:00 2026\nFrom: dana@clinic.example.com"
         b"\nSubject: 99213\n\nhi\n", None),
        (b"Subject: folded\n  subject line\nTo: coding-help@example.org\n\n99213?\n", None),
        (b"From: dana@clinic.example.com\r\nX-Tr\x00ce: 1\r\n\r\nhi\r\n", None),
    ],
)
def test_message_test_table(raw: bytes, reason: str | None) -> None:
    found = not_a_message_reason(raw)

    if reason is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(reason)
