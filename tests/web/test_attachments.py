"""Attachments of a question on the draft page, downloaded from the stored raw message."""

from __future__ import annotations

import base64
import logging
import re

import pytest
from fastapi.testclient import TestClient

from consultant.parsing.attachments import Attachment
from consultant.web.downloads import content_disposition, download_filename
from tests.corpus import raw as corpus_raw
from tests.web.conftest import sign_in

PDF = b"%PDF-1.4\n% synthetic test file\n" + bytes(range(256))
HOSTILE_HTML = b"<html><body><script>alert(1)</script>Op note</body></html>"
UNNAMED = b"\x00\x01\x02 raw bytes"
PATIENT_NAME = "Befund Mustermann"


def _encoded(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def question_with_attachments() -> bytes:
    """Return a question with a PDF, an HTML file with a hostile name and an unnamed part."""
    return (
        "From: coder@clinic.example.com\r\nTo: coding-help@example.org\r\n"
        "Subject: Op note attached 29881\r\nMessage-ID: <attach1@clinic.example.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Is 29881 right for this knee? The op note is attached.\r\n"
        f"--b\r\nContent-Type: application/pdf; name=\"{PATIENT_NAME} Ärztin.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''{PATIENT_NAME.replace(' ', '%20')}"
        "%20%C3%84rztin.pdf\r\n\r\n"
        f"{_encoded(PDF)}"
        "--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; "
        "filename*=utf-8''..%2F..%2Fnote%22%0D%0AX-Injected%3A%201.html\r\n\r\n"
        f"{_encoded(HOSTILE_HTML)}"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment\r\n\r\n"
        f"{_encoded(UNNAMED)}"
        "--b--\r\n"
    ).encode()


def test_draft_page_lists_attachments(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    listing = page[page.index('id="attachments"'):]
    listing = listing[:listing.index("</ul>")]
    assert f"{PATIENT_NAME} Ärztin.pdf" in listing
    assert f"application/pdf, {len(PDF):,} bytes" in listing
    assert f"text/html, {len(HOSTILE_HTML)} bytes" in listing
    assert f"application/octet-stream, {len(UNNAMED)} bytes" in listing
    assert "<script>" not in listing
    for number in (1, 2, 3):
        assert f'href="/drafts/{draft.id}/attachments/{number}" download' in listing


PNG = b"\x89PNG\r\n\x1a\n synthetic inline image"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def question_with_inline_images() -> bytes:
    """Return an HTML question with a PDF attachment and two images shown by Content-ID."""
    return (
        "From: coder@clinic.example.com\r\nTo: coding-help@example.org\r\n"
        "Subject: Screenshot of the claim 97110\r\nMessage-ID: <inline1@clinic.example.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n'
        '--m\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p>Is 97110 x4 right? See the claim screen:</p><img src="cid:claim@example.com">'
        '<img src="cid:chart@example.com">\r\n'
        "--r\r\nContent-Type: image/png\r\nContent-ID: <claim@example.com>\r\n"
        'Content-Disposition: inline; filename="claim screen.png"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{_encoded(PNG)}"
        "--r\r\nContent-Type: image/svg+xml\r\nContent-ID: <chart@example.com>\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{_encoded(SVG)}"
        "--r--\r\n"
        "--m\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="op-note.pdf"\r\n\r\n'
        f"{_encoded(PDF)}"
        "--m--\r\n"
    ).encode()


def test_draft_page_lists_inline_images(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_inline_images())
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    listing = page[page.index('id="attachments"'):]
    listing = listing[:listing.index("</ul>")]
    items = listing.split("<li>")[1:]
    assert len(items) == 3
    assert "op-note.pdf" in items[0]
    assert "inline image" not in items[0]
    assert "claim screen.png" in items[1]
    assert f"image/png, {len(PNG)} bytes, inline image" in items[1]
    assert f"image/svg+xml, {len(SVG)} bytes, inline image" in items[2]
    for number in (1, 2, 3):
        assert f'href="/drafts/{draft.id}/attachments/{number}" download' in listing
    assert "<script>" not in page


def test_inline_image_downloads_as_attachment(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_inline_images())
    sign_in(client, "rita")

    named = client.get(f"/drafts/{draft.id}/attachments/2")
    unnamed = client.get(f"/drafts/{draft.id}/attachments/3")

    assert named.status_code == 200
    assert named.content == PNG
    assert named.headers["content-type"] == "application/octet-stream"
    assert named.headers["content-disposition"].startswith(
        'attachment; filename="claim screen.png"; ')
    assert unnamed.status_code == 200
    assert unnamed.content == SVG
    assert unnamed.headers["content-type"] == "application/octet-stream"
    assert unnamed.headers["x-content-type-options"] == "nosniff"
    assert unnamed.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert unnamed.headers["content-disposition"].startswith(
        'attachment; filename="attachment-3.svg"; ')


def test_inline_disposition_without_cid_listed(client: TestClient, users, make_draft) -> None:
    raw = (b"From: coder@clinic.example.com\r\nTo: coding-help@example.org\r\n"
           b"Subject: Scan 97110\r\nMessage-ID: <inline2@clinic.example.com>\r\n"
           b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n'
           b"--m\r\nContent-Type: text/plain\r\n\r\nIs 97110 x4 right?\r\n"
           b"--m\r\nContent-Type: image/jpeg\r\n"
           b'Content-Disposition: inline; filename="scan.jpg"\r\n\r\nJPEGDATA\r\n--m--\r\n')
    draft = make_draft(raw=raw)
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text
    response = client.get(f"/drafts/{draft.id}/attachments/1")

    # Without a Content-ID nothing refers to the part, so it is listed as an attachment.
    assert f'href="/drafts/{draft.id}/attachments/1" download>scan.jpg</a>' in page
    assert "image/jpeg, 8 bytes</span>" in page
    assert response.content == b"JPEGDATA"
    assert response.headers["content-disposition"].startswith('attachment; filename="scan.jpg"')


def test_corpus_inline_image_listed(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=corpus_raw("27-inline-cid-image.eml"))
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text
    response = client.get(f"/drafts/{draft.id}/attachments/1")

    assert f'href="/drafts/{draft.id}/attachments/1" download>logo.png</a>' in page
    assert "inline image" in page
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    assert response.headers["content-type"] == "application/octet-stream"
    assert 'filename="logo.png"' in response.headers["content-disposition"]


def test_draft_page_without_attachments(client: TestClient, users, make_draft) -> None:
    draft = make_draft()
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text

    assert 'id="attachments"' not in page


def test_attachment_download_bytes_and_headers(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    response = client.get(f"/drafts/{draft.id}/attachments/1")

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Befund Mustermann Arztin.pdf"; ')
    assert disposition.endswith("filename*=UTF-8''Befund%20Mustermann%20%C3%84rztin.pdf")


def test_html_attachment_never_served_inline(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    response = client.get(f"/drafts/{draft.id}/attachments/2")

    assert response.status_code == 200
    assert response.content == HOSTILE_HTML
    assert response.headers["content-type"] == "application/octet-stream"
    assert "x-injected" not in response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert "/" not in disposition.split("filename*=")[0]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert disposition.startswith('attachment; filename="note_X-Injected_ 1.html"; ')


def test_unnamed_attachment_gets_numbered_name(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    response = client.get(f"/drafts/{draft.id}/attachments/3")

    assert response.status_code == 200
    assert response.content == UNNAMED
    assert 'filename="attachment-3.bin"' in response.headers["content-disposition"]


def test_tnef_attachment_downloads(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=corpus_raw("28-tnef-winmail.eml"))
    sign_in(client, "rita")

    page = client.get(f"/drafts/{draft.id}").text
    response = client.get(f"/drafts/{draft.id}/attachments/1")

    assert "op-note.txt" in page
    assert "text/plain, 19 bytes" in page
    assert response.content == b"Operative note text"
    assert 'filename="op-note.txt"' in response.headers["content-disposition"]


@pytest.mark.parametrize("number", ["0", "4", "-1"])
def test_unknown_attachment_is_404(client: TestClient, users, make_draft, number: str) -> None:
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    response = client.get(f"/drafts/{draft.id}/attachments/{number}")

    assert response.status_code == 404
    assert (f"attachment {number} not found: the message has 3 files (attachments and inline "
            "images)") in response.text


def test_attachment_of_unknown_draft_is_404(client: TestClient, users, make_draft) -> None:
    make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    response = client.get("/drafts/999/attachments/1")

    assert response.status_code == 404


def test_attachment_needs_sign_in(client: TestClient, users, make_draft) -> None:
    draft = make_draft(raw=question_with_attachments())

    response = client.get(f"/drafts/{draft.id}/attachments/1")

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/login?next=%2Fdrafts%2F{draft.id}%2Fattachments%2F1")
    assert PDF not in response.content


def test_attachment_logs_carry_no_file_name(client: TestClient, users, make_draft,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    draft = make_draft(raw=question_with_attachments())
    sign_in(client, "rita")

    client.get(f"/drafts/{draft.id}")
    for number in (1, 2, 3, 4):
        client.get(f"/drafts/{draft.id}/attachments/{number}")

    assert re.search(rf"attachment 1 of message_row=\d+ downloaded by user=\d+ "
                     rf"\(draft={draft.id}, size={len(PDF)}\)", caplog.text)
    for fragment in ("Mustermann", "rztin", "note", "X-Injected", ".pdf", ".html"):
        assert fragment not in caplog.text, fragment


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("report.pdf", "application/pdf", "report.pdf"),
        ("C:\\Users\\pat\\scan.png", "image/png", "scan.png"),
        ("../../etc/passwd", "text/plain", "passwd"),
        (".hidden", "text/plain", "hidden"),
        ("name. . ", "text/plain", "name"),
        ("report\u202efdp.exe", "application/pdf", "reportfdp.exe"),
        ('say "hi"\r\n.txt', "text/plain", "say 'hi'.txt"),
        ("", "text/plain", "attachment-7.txt"),
        (None, "application/x-unknown-kind", "attachment-7.bin"),
        ("...", "application/pdf", "attachment-7.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 196 + ".pdf"),
        ("é" * 300 + ".pdf", "application/pdf", "é" * 98 + ".pdf"),
        ("x" * 300, "application/pdf", "x" * 200),
        ("x" * 300 + ".longer-than-ten", "text/plain", "x" * 200),
    ],
)
def test_download_filename_is_cleaned(filename: str | None, content_type: str,
                                      expected: str) -> None:
    attachment = Attachment(number=7, filename=filename, content_type=content_type, data=b"")

    assert download_filename(attachment) == expected


def test_content_disposition_keeps_unicode_name() -> None:
    value = content_disposition("Überweisung; 50% (Kopie).pdf")

    assert value == ("attachment; filename=\"Uberweisung_ 50_ (Kopie).pdf\"; "
                     "filename*=UTF-8''%C3%9Cberweisung%3B%2050%25%20%28Kopie%29.pdf")
