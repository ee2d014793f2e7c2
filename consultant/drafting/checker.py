"""The extractor's code checker, backed by the code knowledge base."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.info import CodeInfo
from consultant.codes.lookup import describe
from consultant.extraction.reference import HEADER, INCOMPLETE, UNKNOWN, VALID

# Knowledge-base statuses as the extractor reads them. A terminated code still exists in
# its edition, and a CPT code inside a public section range is as far as CPT can be checked
# without a licensed file.
_STATUS = {
    "valid": VALID,
    "terminated": VALID,
    "section_only": VALID,
    "header": HEADER,
    "incomplete": INCOMPLETE,
}


class KnowledgeBaseChecker:
    """Checks codes against the editions in force on a date, describing each code once."""

    def __init__(self, session: Session, date_of_service: date | None = None) -> None:
        self.session = session
        self.date_of_service = date_of_service
        self._infos: dict[tuple[str, str], CodeInfo] = {}

    def describe(self, system: str, code: str) -> CodeInfo:
        key = (system, code)
        if key not in self._infos:
            self._infos[key] = describe(self.session, system, code, self.date_of_service)
        return self._infos[key]

    def status(self, system: str, code: str) -> str:
        return _STATUS.get(self.describe(system, code).status, UNKNOWN)
