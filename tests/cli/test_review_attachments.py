"""caseconsultant review show lists the attachments of the draft's question."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.config import get_settings
from consultant.drafting.services import draft_for_message
from consultant.intake.services import store_message


def _show_draft_of(runner: CliRunner, session: Session, raw: bytes) -> Result:
    """Store *raw*, draft its reply and return the result of review show for that draft."""
    stored = store_message(session, raw)
    session.commit()
    draft = draft_for_message(session, stored.message_row_id, get_settings())
    session.commit()
    assert draft is not None
    return runner.invoke(main, ["review", "show", str(draft.id)])


def test_review_show_lists_attachments(runner: CliRunner, session: Session,
                                       service_address: None) -> None:
    raw = (b"From: dana@clinic.example.com\r\nSubject: Op note 29881\r\n"
           b"Message-ID: <show-attach@clinic.example.com>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nIs 29881 right?\r\n"
           b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
           b'Content-Disposition: attachment; filename="op-note.pdf"\r\n\r\n'
           b"JVBERi0xLjQKc3ludGhldGlj\r\n"
           b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\n"
           b"PNGDATA\r\n--b--\r\n")
    result = _show_draft_of(runner, session, raw)

    assert result.exit_code == 0, result.output
    assert ("Attachments of the question (download them on the draft's web page):\n"
            "  1. op-note.pdf (application/pdf, 18 bytes)\n"
            "  2. image/png (image/png, 7 bytes)\n") in result.output


def test_review_show_without_attachments(runner: CliRunner, session: Session,
                                         service_address: None) -> None:
    result = _show_draft_of(runner, session,
                            b"From: dana@clinic.example.com\r\nSubject: E11.4?\r\n"
                            b"Message-ID: <show-none@clinic.example.com>\r\n\r\n"
                            b"Is E11.4 billable?\r\n")

    assert "Attachments of the question: none" in result.output


def test_review_show_lists_inline_images(runner: CliRunner, session: Session,
                                         service_address: None) -> None:
    raw = (b"From: dana@clinic.example.com\r\nSubject: Claim screen 97110\r\n"
           b"Message-ID: <show-inline@clinic.example.com>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
           b"--r\r\nContent-Type: text/html\r\n\r\n"
           b'<p>Is 97110 x4 right?</p><img src="cid:claim@example.com">\r\n'
           b"--r\r\nContent-Type: image/png\r\nContent-ID: <claim@example.com>\r\n"
           b'Content-Disposition: inline; filename="claim.png"\r\n\r\n'
           b"PNGDATA\r\n--r--\r\n")
    result = _show_draft_of(runner, session, raw)

    assert result.exit_code == 0, result.output
    assert ("Attachments of the question (download them on the draft's web page):\n"
            "  1. claim.png (image/png, 7 bytes, inline image)\n") in result.output


BROKEN = (b"From: dana@clinic.example.com\r\nSubject: =?x-unknown?Q?99213_question?=\r\n"
          b"Message-ID: <show-broken@clinic.example.com>\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
          b"Can we bill 99213 today?\r\n")


def test_review_show_warns_of_read_errors(runner: CliRunner, session: Session,
                                          service_address: None) -> None:
    result = _show_draft_of(runner, session, BROKEN)

    assert result.exit_code == 0, result.output
    assert "Read with errors, so the question and its codes may be incomplete" in result.output


def test_review_show_clean_message_has_no_warning(runner: CliRunner, session: Session,
                                                  service_address: None) -> None:
    result = _show_draft_of(runner, session,
                            b"From: dana@clinic.example.com\r\nSubject: E11.4?\r\n"
                            b"Message-ID: <show-clean@clinic.example.com>\r\n\r\n"
                            b"Is E11.4 billable?\r\n")

    assert "Read with errors" not in result.output
