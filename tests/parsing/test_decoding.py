"""Header, charset, transfer-encoding, HTML and quote handling, one rule at a time."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.parsing import parse_message
from consultant.parsing.charsets import decode_text
from consultant.parsing.headers import decode_header_value
from consultant.parsing.htmltext import html_to_text
from consultant.parsing.quotes import strip_quoted
from consultant.parsing.transfer import decode_base64, decode_transfer
from tests.corpus import MAIL_DIR


@pytest.mark.parametrize(
    ("data", "declared", "text", "defect"),
    [
        (b"caf\xc3\xa9", "utf-8", "café", None),
        (b"caf\xe9", "iso-8859-1", "café", None),
        (b"caf\xe9", "utf-8", "café", "bytes invalid in declared charset 'utf-8'; "
                                     "decoded as windows-1252"),
        (b"caf\xc3\xa9", "x-unknown", "café", "unknown charset 'x-unknown'; decoded as utf-8"),
        (b"caf\xc3\xa9", "us-ascii", "café", None),
        (b"\x81\x8d", None, "\x81\x8d", "no charset declared; decoded as latin-1"),
    ],
)
def test_decode_text_fallbacks(
    data: bytes, declared: str | None, text: str, defect: str | None
) -> None:
    assert decode_text(data, declared) == (text, defect)


def test_header_joins_split_multibyte_words() -> None:
    encoded = "ü".encode()
    first = base64.b64encode(b"f" + encoded[:1]).decode()
    second = base64.b64encode(encoded[1:] + b"r").decode()
    defects: list[str] = []

    value = decode_header_value(f"=?utf-8?B?{first}?= =?utf-8?B?{second}?=", defects)

    assert value == "für"
    assert defects == []


def test_header_keeps_space_between_word_and_text() -> None:
    assert decode_header_value("=?utf-8?Q?Fr=C3=A4ge?= about 99213", []) == "Fräge about 99213"


def test_header_keeps_undecodable_word() -> None:
    defects: list[str] = []

    value = decode_header_value("=?utf-8?B?####?= tail", defects)

    assert value == "tail"
    assert defects == []


def test_header_raw_utf8_decodes_cleanly() -> None:
    value = b"R\xc3\xa9sum\xc3\xa9".decode("ascii", "surrogateescape")
    defects: list[str] = []

    assert decode_header_value(value, defects) == "Résumé"
    assert defects == []


def test_base64_dangling_character_dropped() -> None:
    defects: list[str] = []

    assert decode_base64(b"QUJDRA=\nQ", defects) == b"ABCD"
    assert "base64: dangling character dropped" in defects


def test_unknown_transfer_encoding_kept_as_bytes() -> None:
    defects: list[str] = []

    assert decode_transfer(b"a\\nb", "x-odd", defects) == b"a\\nb"
    assert defects == ["unknown Content-Transfer-Encoding 'x-odd'; read as 8bit"]


def test_non_ascii_transfer_encoding_read() -> None:
    raw = (b"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
           b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n"
           b"Content-Transfer-Encoding: \x80\n\n%PDF\n--b--\n")
    encoding = message_from_bytes(raw).get_payload()[0].get("Content-Transfer-Encoding")
    defects: list[str] = []

    assert decode_transfer(b"%PDF", encoding, defects) == b"%PDF"
    assert len(defects) == 1


def test_html_blockquote_becomes_quote_lines() -> None:
    text = html_to_text("<p>New</p><blockquote><p>old one</p><p>old two</p></blockquote>")

    assert text == "New\n> old one\n> old two"


def test_html_entities_and_breaks() -> None:
    assert html_to_text("A&amp;B<br>C&nbsp;&lt;D&gt;") == "A&B\nC <D>"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("New 99213?\n\nAm 03.12.2026 um 10:00 schrieb Jane Example\n<j@example.com>:\n> old",
         "New 99213?"),
        ("New\n\nLe jeu. 3 déc. 2026 à 10:00, Jane <j@example.com> a écrit :\n> old", "New"),
        ("Top\n> quoted\nInline answer 99214", "Top\nInline answer 99214"),
        ("Question 99213\n____________\nFrom: A\nSent: B\n\nold", "Question 99213"),
        ("Use 99214\n-- 99213\nnot a signature", "Use 99214\n-- 99213\nnot a signature"),
        ("Use 99214\n--\nJane", "Use 99214"),
        ("Codes\n\nSent from my iPhone", "Codes"),
        ("On Mon, Jane wrote:\n> Use 45385 with PT.\n\nWith 33 instead?\n\n> Z12.11 first.\n\n"
         "And K63.5?\n-- \nNadia", "With 33 instead?\n\nAnd K63.5?"),
        ("Top 99213\n\nOn Mon, Jane wrote:\n> old 99214\n> more", "Top 99213"),
        ("On Mon, Jane wrote:\nold message pasted without marks 99214", ""),
    ],
)
def test_strip_quoted(text: str, question: str) -> None:
    assert strip_quoted(text) == question


def test_unreadable_tnef_recorded_as_defect() -> None:
    raw = (b"From: a@example.com\r\nContent-Type: application/ms-tnef\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n")

    parsed = parse_message(raw)

    assert parsed.defects == ["unreadable winmail.dat: struct.error"]
    assert parsed.attachments == ["application/ms-tnef"]


def test_nul_in_message_id_gets_stand_in() -> None:
    parsed = parse_message(b"Message-ID: <a\x00b@example.com>\r\nSubject: x\r\n\r\nhi\r\n")

    assert parsed.message_id.endswith("@no-message-id.invalid>")


def test_parse_command_prints_json() -> None:
    path = MAIL_DIR / "43-portal-auto-generated-question.eml"

    output = CliRunner().invoke(main, ["parse", str(path), "--json"])

    assert output.exit_code == 0, output.output
    summary = json.loads(output.output)
    assert summary["message_id"] == "<fixture-43@clinic.example.com>"
    assert summary["sender"] == "portal@portal.example.com"
    assert summary["reply_to"] == "sam.biller@clinic.example.com"
    assert summary["classification"]["kind"] == "question"
    assert "treated as a question despite the automatic signs" in (
        summary["classification"]["reasons"])
    assert [code["code"] for code in summary["codes"]] == ["99396"]
    assert summary["defects"] == []


def test_parse_command_applies_denylist(monkeypatch: pytest.MonkeyPatch) -> None:
    from consultant.config import reset_settings

    monkeypatch.setenv("CASECONSULTANT_SENDER_DENYLIST", "blocked.example.net")
    reset_settings()
    path = MAIL_DIR / "49-denied-sender.eml"

    output = CliRunner().invoke(main, ["parse", str(path)])

    assert output.exit_code == 0, output.output
    assert "Classification: denied (sender matches the denylist entry" in output.output


def test_parse_command_warns_without_reply_address() -> None:
    path = MAIL_DIR / "56-no-reply-address.eml"

    text = CliRunner().invoke(main, ["parse", str(path)])
    as_json = CliRunner().invoke(main, ["parse", str(path), "--json"])

    assert text.exit_code == 0, text.output
    assert "Sender:         -\n" in text.stdout
    assert ("Classification: no_reply_address (no From or Reply-To address, so a reply has "
            "nowhere to go)") in text.stdout
    assert text.stderr == (
        "warning: the pipeline would keep this message but draft no reply to it "
        "(classification no_reply_address). Releasing it cannot draft one either, because "
        "the message has no reply address that a reply can be delivered to\n")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["classification"]["kind"] == "no_reply_address"
    assert as_json.stderr == text.stderr


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("35-auto-reply-auto-submitted.eml", "(classification auto_reply). An operator can "
                                             "release it on the web Held mail page"),
        ("41-mailing-list.eml", "(classification bulk). An operator can release it"),
        ("01-plain-question.eml", None),
    ],
)
def test_parse_command_warns_when_not_drafted(name: str, warning: str | None) -> None:
    output = CliRunner().invoke(main, ["parse", str(MAIL_DIR / name)])

    assert output.exit_code == 0, output.output
    if warning is None:
        assert output.stderr == ""
    else:
        assert output.stderr.startswith("warning: the pipeline would keep this message but "
                                        "draft no reply to it ")
        assert warning in output.stderr


def test_parse_command_missing_file() -> None:
    output = CliRunner().invoke(main, ["parse", "missing.eml"])

    assert output.exit_code == 2
    assert "does not exist" in output.output


PNG_START = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02"
             b"\x00\x00\x00\xfd\xd4\x9as")
ELF_START = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x03\x00>\x00\x01\x00\x00\x00"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "it is empty"),
        (ELF_START, "its first line is not a header field"),
        (PNG_START, "NUL bytes, so it looks like a binary file"),
        (b"abc\x00def\n", "it contains 1 NUL byte, so it looks like a binary file"),
        (b"a\x00b\x00\n", "it contains 2 NUL bytes, so it looks like a binary file"),
        (b"Can we bill 99213 with 25?\n", "its first line is not a header field"),
        (b"\r\nFrom: dana@clinic.example.com\r\n\r\n99213?\r\n", "starts with a blank line"),
    ],
)
def test_parse_command_rejects_non_message(tmp_path, data: bytes, reason: str) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(data)

    output = CliRunner().invoke(main, ["parse", str(path), "--json"])

    assert output.exit_code == 1
    assert f"{path} is not an email message ({len(data)} bytes)" in output.output
    assert reason in output.output
    assert "never draft a reply" in output.output
    assert "message_id" not in output.output


@pytest.mark.parametrize(
    ("raw", "subject", "defects"),
    [
        (b"From: dana@clinic.example.com\r\nSubject: Bill 99213\x00 today?\r\n\r\nCan we?\r\n",
         "Bill 99213 today?", ["header: NUL bytes removed"]),
        (b"From: dana@clinic.example.com\r\nX-Tr\x00ce: 1\r\nSubject: 99213\r\n\r\nCan we?\r\n",
         "", ["MissingHeaderBodySeparatorDefect", "text/plain: NUL bytes removed"]),
        (b"From: dana@clinic.example.com\r\nSubject: =?x-unknown?q?99213?=\r\n\r\nCan we?\r\n",
         "99213", ["header: unknown charset 'x-unknown'; decoded as utf-8"]),
    ],
)
def test_parse_command_shows_message_defects(
    tmp_path, raw: bytes, subject: str, defects: list[str]
) -> None:
    path = tmp_path / "defective.eml"
    path.write_bytes(raw)

    output = CliRunner().invoke(main, ["parse", str(path), "--json"])

    assert output.exit_code == 0, output.output
    summary = json.loads(output.output)
    assert summary["sender"] == "dana@clinic.example.com"
    assert summary["subject"] == subject
    assert summary["defects"] == defects
    # Intake stores the parser's defects with the message, so both must list the same.
    assert summary["defects"] == parse_message(raw).defects
