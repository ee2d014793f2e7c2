"""The extractor's code checker, backed by the code knowledge base."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.info import CodeInfo, cached_release
from consultant.codes.lookup import (
    RELEASE_SYSTEMS,
    describe,
    edition_in_force,
    ended_edition_note,
)
from consultant.extraction.reference import HEADER, INCOMPLETE, UNCHECKED, UNKNOWN, VALID

# Knowledge-base statuses as the extractor reads them. A terminated code still exists in
# its edition. A CPT code inside a public section range is left unchecked: without a
# licensed CPT file, "12345" falls in a section as well as "99213" does.
_STATUS = {
    "valid": VALID,
    "terminated": VALID,
    "section_only": UNCHECKED,
    "header": HEADER,
    "incomplete": INCOMPLETE,
}

# Systems known only from an imported file; CPT is always checked against its section table.
_IMPORTED_SYSTEMS = ("hcpcs", "icd10cm", "icd10pcs", "modifier")


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
        # Validity is judged against the editions loaded, ended ones too, so a code missing
        # from last quarter's file is unrecognised, and that file still distinguishes HCPCS E1140
        # from ICD-10-CM E11.40. Only a set with no edition loaded leaves codes unchecked.
        # The reviewer's "not checked" badge reads ``unchecked`` below, which also counts
        # ended editions.
        info = self.describe(system, code)
        if info.status == "not_found" and system in _IMPORTED_SYSTEMS and not self._loaded(system):
            return UNCHECKED
        return _STATUS.get(info.status, UNKNOWN)

    def description(self, system: str, code: str) -> str | None:
        info = self.describe(system, code)
        return info.description if info.status in _STATUS else None

    def expired_note(self, system: str, code: str | None = None) -> str | None:
        """Return ``ended_edition_note`` for *code* of *system* on the date of service."""
        return ended_edition_note(self.session, system, self.date_of_service, code)

    def in_force(self, system: str) -> bool:
        """Return ``edition_in_force`` for *system* on the date of service."""
        return edition_in_force(self.session, system, self.date_of_service)

    def unchecked(self, system: str, code: str) -> bool:
        """Return whether the lookup of *code* could neither confirm nor reject it.

        ``describe`` decides it, so drafts and every lookup front end apply one rule.
        """
        return self.describe(system, code).unchecked

    def _loaded(self, system: str) -> bool:
        release, _warning = cached_release(self.session, RELEASE_SYSTEMS.get(system, system),
                                           self.date_of_service)
        return release is not None
