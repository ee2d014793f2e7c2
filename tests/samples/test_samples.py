"""Check the sample .eml files against consultant/samples/expected.json.

Codes are searched in the decoded subject and the decoded text parts of each message,
after transfer decoding and charset decoding. HTML parts are reduced to their text first,
with lines inside <blockquote> prefixed by "> " as a plain-text reply would show them.
Attachments are not searched.
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from consultant.samples import load_expected, sample_paths

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")
ALLOWED_DOMAINS = {"example.com", "example.org", "example.net"}
SERVICE_MAILBOX = "coding-help@example.org"
REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version")

# Code formats: CPT Category I or III, HCPCS Level II, ICD-10-CM with its dot,
# ICD-10-PCS (seven characters, never I or O) and two-character modifiers.
CODE_FORMATS = {
    "cpt": re.compile(r"\d{4}[0-9FTU]"),
    "hcpcs": re.compile(r"[A-V]\d{4}"),
    "icd10cm": re.compile(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?"),
    "icd10pcs": re.compile(r"[0-9A-HJ-NP-Z]{7}"),
    "modifier": re.compile(r"[0-9A-Z]{2}"),
}

# Separators between the ends of a written range, such as 99202-99205 or 99202 through 99205.
RANGE_SEPARATOR = r"\s*(?:-|\u2013|\u2014|through|thru|to)\s*"

EXPECTED = load_expected()
PATHS = {path.name: path for path in sample_paths()}


class _HtmlText(HTMLParser):
    """HTML parser that collects the visible text, one line per block element."""

    BLOCK_TAGS = {"p", "div", "br", "tr", "li", "hr", "table", "ul", "ol", "h1", "h2", "h3"}
    HIDDEN_TAGS = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.quote_depth = 0
        self.hidden_depth = 0

    def _new_line(self) -> None:
        self.chunks.append("\n" + "> " * self.quote_depth)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN_TAGS:
            self.hidden_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self._new_line()
        elif tag in self.BLOCK_TAGS:
            self._new_line()
        elif tag == "td":
            self.chunks.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN_TAGS:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self._new_line()
        elif tag in self.BLOCK_TAGS:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.chunks)


def parse_sample(name: str) -> EmailMessage:
    with PATHS[name].open("rb") as handle:
        return email.message_from_binary_file(handle, policy=policy.default)


def body_texts(message: EmailMessage) -> list[tuple[str, str]]:
    """Return (content type, decoded text) for each text part that is not an attachment."""
    texts = []
    for part in message.walk():
        if part.is_multipart() or part.is_attachment() or part.get_content_maintype() != "text":
            continue
        content = part.get_content()
        if part.get_content_subtype() == "html":
            content = html_to_text(content)
        texts.append((part.get_content_type(), content))
    return texts


def full_text(message: EmailMessage) -> str:
    return "\n".join([str(message["Subject"])] + [text for _, text in body_texts(message)])


def new_text(message: EmailMessage, quote_marker: str | None) -> str:
    """Return the subject and the unquoted text of the main body part.

    The main part is text/plain when the message has one, otherwise text/html. Everything
    from the quote marker on is dropped, and so is every line that starts with ">".
    """
    texts = dict(body_texts(message))
    body = texts.get("text/plain", texts.get("text/html", ""))
    if quote_marker is not None:
        position = body.find(quote_marker)
        assert position >= 0, f"quote marker {quote_marker!r} not found in the body"
        body = body[:position]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join([str(message["Subject"])] + lines)


def code_pattern(code: str, system: str) -> re.Pattern[str]:
    """Match a code as a whole token, case-insensitively.

    A letter may follow a code, because coders glue modifiers and units to codes
    (20610RT, 97110x3). A modifier that starts with a letter may follow a digit for the
    same reason, but a numeric modifier must stand apart, so 25 never matches inside 99225.
    ICD-10-CM codes also match without their dot (E1140 for E11.40).
    """
    variants = [re.escape(code)]
    if system == "icd10cm" and "." in code:
        variants.append(re.escape(code.replace(".", "")))
    body = "(?:" + "|".join(variants) + ")"
    if system == "modifier":
        before = r"(?<![A-Z])" if code[0].isalpha() else r"(?<![0-9A-Z])"
        return re.compile(before + body + r"(?![0-9A-Z])", re.IGNORECASE)
    return re.compile(r"(?<![0-9A-Z])" + body + r"(?![0-9])", re.IGNORECASE)


def is_mentioned(text: str, code: str, system: str) -> bool:
    return code_pattern(code, system).search(text) is not None


def is_in_written_range(code: str, system: str, entry: dict) -> bool:
    for low, high in entry.get("ranges", {}).get(system, []):
        if low.isdigit() and code.isdigit() and int(low) <= int(code) <= int(high):
            return True
    return False


def all_addresses(message: EmailMessage, header: str) -> list[str]:
    value = message[header]
    if value is None:
        return []
    return [address.addr_spec for address in value.addresses]


SAMPLE_NAMES = sorted(EXPECTED)
REPLY_NAMES = [name for name in SAMPLE_NAMES if "quoted_codes" in EXPECTED[name]]


def test_sample_count_at_least_30() -> None:
    assert len(PATHS) >= 30


def test_expected_covers_every_sample() -> None:
    assert set(EXPECTED) == set(PATHS)


def test_sample_paths_sorted_by_name() -> None:
    names = [path.name for path in sample_paths()]
    assert names == sorted(names)


def test_sample_file_names_numbered() -> None:
    for name in PATHS:
        assert re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*\.eml", name), name


def test_message_ids_unique() -> None:
    message_ids = [str(parse_sample(name)["Message-ID"]) for name in PATHS]
    assert len(message_ids) == len(set(message_ids))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_parses_without_defects(name: str) -> None:
    message = parse_sample(name)
    for part in message.walk():
        assert part.defects == [], f"{part.get_content_type()}: {part.defects}"
    assert body_texts(message), "no text part"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_has_required_headers(name: str) -> None:
    message = parse_sample(name)
    for header in REQUIRED_HEADERS:
        assert message[header] is not None, f"missing {header}"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime is not None
    assert re.fullmatch(r"<sample-\d\d\.[^@<>\s]+@[^@<>\s]+>", str(message["Message-ID"]))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_subject_and_sender(name: str) -> None:
    message = parse_sample(name)
    assert str(message["Subject"]) == EXPECTED[name]["subject"]
    assert all_addresses(message, "From") == [EXPECTED[name]["sender"]]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_addresses_use_example_domains(name: str) -> None:
    message = parse_sample(name)
    assert SERVICE_MAILBOX in all_addresses(message, "To")
    for header in ("From", "To", "Cc", "Reply-To"):
        for address in all_addresses(message, header):
            assert address.rpartition("@")[2] in ALLOWED_DOMAINS, f"{header}: {address}"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_line_endings_consistent(name: str) -> None:
    raw = PATHS[name].read_bytes()
    crlf_count = raw.count(b"\r\n")
    assert raw.count(b"\r") == crlf_count, "bare CR"
    assert crlf_count in (0, raw.count(b"\n")), "mixed CRLF and LF"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_expected_codes_well_formed(name: str) -> None:
    entry = EXPECTED[name]
    for key in ("codes", "quoted_codes"):
        if key not in entry:
            continue
        assert set(entry[key]) == set(SYSTEMS), key
        for system, codes in entry[key].items():
            assert len(codes) == len(set(codes)), f"{key}.{system} has duplicates"
            for code in codes:
                assert CODE_FORMATS[system].fullmatch(code), f"{key}.{system}: {code}"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_expected_codes_in_text(name: str) -> None:
    entry = EXPECTED[name]
    text = full_text(parse_sample(name))
    for system, codes in entry["codes"].items():
        for code in codes:
            found = is_mentioned(text, code, system) or is_in_written_range(code, system, entry)
            assert found, f"{system} {code} not in the text"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_written_ranges_fully_listed(name: str) -> None:
    entry = EXPECTED[name]
    text = full_text(parse_sample(name))
    for system, ranges in entry.get("ranges", {}).items():
        for low, high in ranges:
            written = re.escape(low) + RANGE_SEPARATOR + re.escape(high)
            assert re.search(written, text, re.IGNORECASE), f"range {low}-{high} not in the text"
            for number in range(int(low), int(high) + 1):
                code = f"{number:05d}"
                assert code in entry["codes"][system], f"{code} of range {low}-{high} not listed"


@pytest.mark.parametrize("name", REPLY_NAMES)
def test_quoted_codes_only_in_quotes(name: str) -> None:
    entry = EXPECTED[name]
    message = parse_sample(name)
    text = full_text(message)
    unquoted = new_text(message, entry.get("quote_marker"))
    for system, codes in entry["quoted_codes"].items():
        for code in codes:
            assert is_mentioned(text, code, system), f"quoted {system} {code} not in the text"
            assert not is_mentioned(unquoted, code, system), f"{system} {code} is in new text"
            assert code not in entry["codes"][system], f"{system} {code} listed twice"
    for system, codes in entry["codes"].items():
        for code in codes:
            found = is_mentioned(unquoted, code, system) or is_in_written_range(code, system, entry)
            assert found, f"{system} {code} only in quoted text"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_not_codes_present_and_unlisted(name: str) -> None:
    entry = EXPECTED[name]
    text = full_text(parse_sample(name)).upper()
    listed = {code for codes in entry["codes"].values() for code in codes}
    for lookalike in entry.get("not_codes", []):
        assert lookalike.upper() in text, f"{lookalike!r} not in the text"
        assert lookalike not in listed, f"{lookalike!r} is also listed as a code"


def test_corpus_covers_formats() -> None:
    """Guard the variety of the corpus, so that a trimmed set of samples fails here."""
    messages = [parse_sample(name) for name in PATHS]
    parts = [part for message in messages for part in message.walk()]
    content_types = {part.get_content_type() for part in parts}
    encodings = {str(part["Content-Transfer-Encoding"]).lower() for part in parts}
    charsets = {str(part.get_content_charset()).lower() for part in parts}
    raw_subjects = [PATHS[name].read_bytes().split(b"\nSubject: ", 1)[1] for name in PATHS]
    html_only = [message for message in messages if message.get_content_type() == "text/html"]

    assert {"multipart/alternative", "multipart/mixed", "text/plain", "text/html"} <= content_types
    assert {"quoted-printable", "base64", "7bit", "8bit"} <= encodings
    assert {"utf-8", "windows-1252", "us-ascii"} <= charsets
    assert any(subject.startswith(b"=?") for subject in raw_subjects)
    assert html_only
    assert any("quoted_codes" in entry for entry in EXPECTED.values())
    assert any("ranges" in entry for entry in EXPECTED.values())
