"""Finding medical code references in the text of a question."""

from consultant.extraction.extractor import MessageExtraction, extract, extract_message
from consultant.extraction.reference import SYSTEMS, UNRECOGNISED, CodeChecker, CodeReference

__all__ = [
    "SYSTEMS",
    "UNRECOGNISED",
    "CodeChecker",
    "CodeReference",
    "MessageExtraction",
    "extract",
    "extract_message",
]
