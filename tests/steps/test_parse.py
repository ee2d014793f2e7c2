from consultant.parsing import parse_message


def test_reply_headers_and_question_text() -> None:
    raw = (
        b"From: Dana Coder <dana@clinic.example.com>\r\n"
        b"Reply-To: billing@clinic.example.com\r\n"
        b"Subject: =?utf-8?q?Modifier_59_question?=\r\n"
        b"Message-ID: <m2@clinic.example.com>\r\n"
        b"In-Reply-To: <m1@clinic.example.com>\r\n"
        b"References: <m0@clinic.example.com> <m1@clinic.example.com>\r\n"
        b"Date: Tue, 01 Dec 2026 10:00:00 -0500\r\n\r\n"
        b"Can we add 59 to 76946?\r\n\r\n"
        b"On Mon, Nov 30, 2026 at 9:00 AM CaseConsultant wrote:\r\n> 99213\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.message_id == "<m2@clinic.example.com>"
    assert parsed.subject == "Modifier 59 question"
    assert parsed.sender == "dana@clinic.example.com"
    assert parsed.reply_to == "billing@clinic.example.com"
    assert parsed.in_reply_to == "<m1@clinic.example.com>"
    assert parsed.references == ["<m0@clinic.example.com>", "<m1@clinic.example.com>"]
    assert parsed.question == "Can we add 59 to 76946?"
    assert "99213" in parsed.body


def test_html_only_message_becomes_text() -> None:
    raw = (
        b"From: a@example.com\r\nMessage-ID: <h@example.com>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Is E11.40 billable?</p>"
        b"<script>alert(1)</script></body></html>"
    )

    parsed = parse_message(raw)

    assert parsed.question == "Is E11.40 billable?"


def test_missing_message_id_gets_stable_stand_in() -> None:
    raw = b"From: a@example.com\r\nSubject: no id\r\n\r\n99213\r\n"

    first = parse_message(raw)
    second = parse_message(raw)

    assert first.message_id == second.message_id
    assert first.message_id.endswith("@no-message-id.invalid>")


def test_garbage_does_not_raise() -> None:
    parsed = parse_message(b"\xff\xfe\x00 not an email at all")

    assert parsed.sender is None
    assert parsed.defects
