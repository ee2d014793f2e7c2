"""The .eml fixture corpus and the exact outcome expected for each message.

Each file under tests/fixtures/mail is named after the quirk it exercises.  The
parser tests check the parsed fields.  The IMAP tests deliver every file to a real
IMAP server, poll and process, then check the stored state, classification, draft
and case.  Threading expectations name the fixture whose case a message joins or
links to; the case of 01-plain-question gets the token 0A1B2C3D before the later
messages are processed, so the subject-token fixtures can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAIL_DIR = Path(__file__).parent / "fixtures" / "mail"
FIRST_CASE_TOKEN = "0A1B2C3D"  # noqa: S105 - a case token, not a secret
# Settings the IMAP corpus run uses; 48-oversized is the only fixture above the limit.
CORPUS_MAX_MESSAGE_BYTES = 40_000
CORPUS_DENYLIST = "blocked.example.net"


@dataclass(frozen=True)
class Expected:
    """The outcome of one fixture: parsed fields, classification, state and thread."""

    subject: str
    question: str
    codes: frozenset[str]
    kind: str = "question"
    # The kind the parser-level classifier returns when intake decides otherwise,
    # because only intake checks loops, sender lists and size.
    parser_kind: str | None = None
    defects: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    inline_parts: tuple[str, ...] = ()
    forwarded: tuple[str, ...] = ()
    state: str = "drafted"
    joins: str | None = None
    links: str | None = None
    # None means "<fixture-NN@clinic.example.com>"; STAND_IN means the SHA-256 stand-in.
    message_id: str | None = None
    # "{size}" stands for the size of the message as stored.
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def raw(name: str) -> bytes:
    """Return the bytes of fixture *name*."""
    return (MAIL_DIR / name).read_bytes()


STAND_IN = "stand-in"
RECOVERED_BOUNDARY = "multipart boundary missing or wrong; recovered from the body"

EXPECTED: dict[str, Expected] = {
    "01-plain-question.eml": Expected(
        "Office visit level",
        "Hello,\n\nCan we bill 99213 for an established patient visit of 20 minutes?\n\nThanks",
        _codes("99213")),
    "02-charset-declared-latin1.eml": Expected(
        "Diagnosis for diabetes",
        "Is E11.9 correct for the café owner's type 2 diabetes?", _codes("E11.9")),
    "03-charset-unknown-label.eml": Expected(
        "Unknown charset", "Should we report J3420 with 96372 – or only one?",
        _codes("J3420", "96372"),
        defects=("text/plain: unknown charset 'x-klingon'; decoded as utf-8",)),
    "04-charset-wrong-declared-utf8.eml": Expected(
        "Wrong charset", "The doctor wrote “follow-up” – is 99214 right?", _codes("99214"),
        defects=("text/plain: bytes invalid in declared charset 'utf-8'; "
                 "decoded as windows-1252",)),
    "05-charset-missing-8bit-utf8.eml": Expected(
        "No charset", "Patient José had 99203 on Monday; is that right?", _codes("99203")),
    "06-rfc2047-split-multibyte.eml": Expected(
        "Kodierfrage für 99213 – Überweisung", "Is 99213 right for this referral?",
        _codes("99213")),
    # RFC 2047 section 6.2: whitespace between adjacent encoded words is dropped.
    "07-rfc2047-mixed-charsets.eml": Expected(
        "Café– clinic question", "Which code fits: 99212 or 99213?", _codes("99212", "99213")),
    "08-header-raw-8bit-utf8.eml": Expected(
        "Résumé of the visit", "Can 99215 be used here?", _codes("99215")),
    "09-header-raw-8bit-latin1.eml": Expected(
        "Schön", "Is 99211 billable by a nurse?", _codes("99211"),
        defects=("header: raw 8-bit bytes; bytes invalid in declared charset 'utf-8'; "
                 "decoded as windows-1252",)),
    "10-rfc2231-filename-bad-bytes.eml": Expected(
        "Attachment name", "Please see the attached note about 93000.", _codes("93000"),
        defects=("attachment name: bytes invalid in declared charset 'utf-8'; "
                 "decoded as windows-1252",),
        attachments=("Befund_ärztin.pdf",)),
    "11-rfc2231-filename-continuations.eml": Expected(
        "Split file name", "The operative report is attached; is 27447 correct?",
        _codes("27447"), attachments=("operative report été.pdf",)),
    "12-transfer-encoding-unknown.eml": Expected(
        "Odd encoding", "Is G0439 the annual wellness visit follow-up code?", _codes("G0439"),
        defects=("unknown Content-Transfer-Encoding 'x-proprietary'; read as 8bit",)),
    "13-base64-missing-padding.eml": Expected(
        "Joint injection", "Is 20610 billable twice on the same day?", _codes("20610"),
        defects=("base64: missing padding",)),
    "14-base64-padding-in-middle.eml": Expected(
        "Debridement", "Can we bill 11042 and with 97597 on one day?",
        _codes("11042", "97597"), defects=("base64: padding inside the body; decoded 2 chunks",)),
    "15-base64-stray-characters.eml": Expected(
        "Venipuncture", "Does 36415 need a modifier for the second draw?", _codes("36415"),
        defects=("base64: characters outside the alphabet skipped",)),
    "16-quoted-printable-soft-breaks.eml": Expected(
        "Advance care planning",
        "Is 99497 for advance care planning billable together with an annual wellness visit "
        "on the same date? The patient is 72 and the discussion took 35 minutes, documented "
        "in full.", _codes("99497")),
    "17-multipart-missing-boundary.eml": Expected(
        "No boundary", "Can we bill 90471 with 90686?", _codes("90471", "90686"),
        defects=("NoBoundaryInMultipartDefect", "MultipartInvariantViolationDefect",
                 RECOVERED_BOUNDARY),
        attachments=("log.bin",)),
    "18-multipart-wrong-boundary.eml": Expected(
        "Wrong boundary", "Is 93306 right for a complete echo?", _codes("93306"),
        defects=("StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect",
                 RECOVERED_BOUNDARY)),
    "19-multipart-missing-close-boundary.eml": Expected(
        "Unclosed", "Should 71046 be used for two views?", _codes("71046"),
        defects=("CloseBoundaryNotFoundDefect",)),
    "20-html-only.eml": Expected(
        "Hospital visit",
        "Hello,\nIs 99223 right for an initial hospital visit?\n- high complexity\n- 70 minutes",
        _codes("99223")),
    "21-html-reply-with-blockquote.eml": Expected(
        "Re: Hospital visit", "Thanks. And what about 99232 the next day?", _codes("99232")),
    "22-alternative-prefers-plain.eml": Expected(
        "Alternative", "Is 45378 a screening colonoscopy?", _codes("45378")),
    "23-attachment-only-pdf.eml": Expected(
        "Scanned question", "", _codes(), attachments=("question.pdf",)),
    "24-attachment-only-text.eml": Expected(
        "Question attached", "Is 96413 right for the first hour of chemotherapy?",
        _codes("96413"),
        defects=("no body text; question read from the attachment 'question.txt'",),
        attachments=("question.txt",)),
    "25-forwarded-rfc822.eml": Expected(
        "Fwd: Coding for Friday",
        "Please see the question below.\n\n"
        "Can you check whether 64483 needs a laterality modifier?",
        _codes("64483"), forwarded=("Coding for Friday",)),
    "26-forwarded-inline.eml": Expected(
        "Fwd: Injection",
        "FYI, can you answer this?\n\n---------- Forwarded message ---------\n"
        "From: Lee Physician <lee@hospital.example.net>\nDate: Thu, Dec 3, 2026 at 8:00 AM\n"
        "Subject: Injection\n\nIs J1100 billed per 1 mg?", _codes("J1100")),
    "27-inline-cid-image.eml": Expected(
        "Inline logo", "Is 17000 right for this lesion?", _codes("17000"),
        inline_parts=("logo.png",)),
    "28-tnef-winmail.eml": Expected(
        "Knee arthroscopy", "Is 29881 with 29877 allowed on the same knee?",
        _codes("29881", "29877"), attachments=("op-note.txt",)),
    "29-very-long-line.eml": Expected(
        "Long line", "word " * 4000 + "Is 99285 right?", _codes("99285")),
    "30-literal-backslashes.eml": Expected(
        "Backslashes", r"The EHR exported C:\new\table\u00e9 and \\server\share\n; "
        "is 99204 right?", _codes("99204")),
    "31-quoted-reply-wrapped-attribution.eml": Expected(
        "Re: Office visit level", "And should 99213 get a modifier when we also do 20610?",
        _codes("99213", "20610")),
    "32-outlook-original-message.eml": Expected(
        "RE: Labs", "Is 80053 included in 80050?", _codes("80053", "80050")),
    "33-signature-dashes.eml": Expected(
        "Signature", "Can 99406 be billed with 99213?", _codes("99406", "99213")),
    "34-code-lines-not-signature.eml": Expected(
        "Code lines", "Which of these is right?\n--99213\n-- 25\n----\n99214",
        _codes("99213", "99214")),
    "35-auto-reply-auto-submitted.eml": Expected(
        "Re: Office visit level", "I am on leave until 14 December.", _codes(),
        kind="auto_reply", state="ignored",
        reasons=("Auto-Submitted: auto-replied (RFC 3834)",)),
    "36-auto-reply-x-autoreply.eml": Expected(
        "Away", "I am away with limited access to mail.", _codes(), kind="auto_reply",
        state="ignored", reasons=("X-Autoreply header present",)),
    "37-out-of-office-subject.eml": Expected(
        "Out of Office: back on Monday", "I will answer when I am back.", _codes(),
        kind="auto_reply", state="ignored", reasons=("subject reads like an automatic reply",)),
    "38-precedence-auto-reply.eml": Expected(
        "Your message", "Thank you, your message was received.", _codes(), kind="auto_reply",
        state="ignored", reasons=("Precedence: auto_reply",)),
    "39-dsn-multipart-report.eml": Expected(
        "Undelivered Mail Returned to Sender",
        "Your message could not be delivered to dana.old@clinic.example.com.\n\n"
        "From: coding-help@example.org\nSubject: Re: Office visit level", _codes(),
        kind="dsn", state="ignored",
        reasons=("Content-Type multipart/report (RFC 6522)",
                 "message/delivery-status part (RFC 3464)", "sender is mailer-daemon",
                 "subject reads like a bounce")),
    "40-dsn-plain-mailer-daemon.eml": Expected(
        "failure notice",
        "Hi. This is the qmail-send program at mail.example.net.\n"
        "I'm afraid I wasn't able to deliver your message.", _codes(), kind="dsn",
        state="ignored", reasons=("sender is mailer-daemon", "subject reads like a bounce")),
    "41-mailing-list.eml": Expected(
        "[coders] Weekly digest", "This week: what changed for 99213?", _codes("99213"),
        kind="bulk", state="ignored",
        reasons=("List-Id header present (RFC 2369, RFC 2919)",)),
    "42-precedence-bulk.eml": Expected(
        "Newsletter", "Our new coding book covers 99213 and more.", _codes("99213"),
        kind="bulk", state="ignored", reasons=("Precedence: bulk",)),
    "43-portal-auto-generated-question.eml": Expected(
        "New message from your patient portal",
        "Message from Sam Biller:\n\nIs 99396 right for an annual exam of a 45-year-old?",
        _codes("99396"),
        reasons=("Auto-Submitted: auto-generated (RFC 3834)", "the text asks a question",
                 "the text names a code", "a person's reply address",
                 "treated as a question despite the automatic signs")),
    "44-portal-auto-generated-notice.eml": Expected(
        "Your password expires soon", "Your portal password expires in 5 days.", _codes(),
        kind="auto_reply", state="ignored",
        reasons=("Auto-Submitted: auto-generated (RFC 3834)", "no sign of a person's question")),
    "45-own-reply-loop.eml": Expected(
        "Re: Office visit level [Case 0A1B2C3D]", "Use 99213 for this visit.", _codes("99213"),
        kind="loop", parser_kind="question", state="ignored",
        reasons=("sent from our own address",)),
    "46-missing-message-id.eml": Expected(
        "No Message-ID", "Is 99212 enough for a short visit?", _codes("99212"),
        message_id=STAND_IN),
    "47-folded-message-id.eml": Expected(
        "Folded id", "Can 99381 be used for a newborn?", _codes("99381"),
        message_id="<fixture-47@clinic.example.com>"),
    "48-oversized.eml": Expected(
        "Large scan",
        "Is 76700 right for this ultrasound?" + "\npadding line of the scanned report" * 2000,
        _codes("76700"), kind="oversized", parser_kind="question", state="held",
        reasons=("{size} bytes, over CASECONSULTANT_MAX_MESSAGE_BYTES (40000)",)),
    "49-denied-sender.eml": Expected(
        "Cheap codes", "Buy our list of 99213 tips?", _codes("99213"), kind="denied",
        parser_kind="question", state="ignored",
        reasons=("sender matches the denylist entry 'blocked.example.net'",)),
    "50-follow-up-in-reply-to.eml": Expected(
        "Re: Office visit level", "Thanks! Would 99214 fit if it took 35 minutes?",
        _codes("99214"), joins="01-plain-question.eml"),
    "51-follow-up-references.eml": Expected(
        "Re: Office visit level", "One more: is 99215 ever right for 20 minutes?",
        _codes("99215"), joins="01-plain-question.eml"),
    "52-follow-up-case-token.eml": Expected(
        "Another question [Case 0A1B2C3D]", "Does 99417 apply after 99215?",
        _codes("99417", "99215"), joins="01-plain-question.eml"),
    "53-case-token-from-stranger.eml": Expected(
        "About [Case 0A1B2C3D]", "What did you answer in this case about 99213?",
        _codes("99213"), links="01-plain-question.eml"),
    "54-read-receipt-mdn.eml": Expected(
        "Read: Office visit level", "The message was displayed.", _codes(), kind="auto_reply",
        state="ignored", reasons=("multipart/report of a read receipt (RFC 8098)",)),
    "55-nested-alternative-in-mixed.eml": Expected(
        "Nested", "Is 43239 with biopsy one code?", _codes("43239"), attachments=("photo.jpg",)),
    # A reply goes to Reply-To or From, never to Sender, which names who sent the message
    # on the author's behalf.
    "56-no-reply-address.eml": Expected(
        "Knee injection", "Is 20610 right for the knee injection?", _codes("20610"),
        kind="no_reply_address", state="ignored",
        reasons=("no From or Reply-To address, so a reply has nowhere to go",)),
}
