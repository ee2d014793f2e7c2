"""The extractor's code checker, backed by the code knowledge base."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.info import CodeInfo, cached_release
from consultant.codes.lookup import describe
from consultant.codes.models import CodeRelease
from consultant.codes.releases import ended_before, outdated_note
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
# Modifiers have no release of their own, because they are imported with HCPCS Level II.
_RELEASE_SYSTEMS = {"modifier": "hcpcs"}
# Lookup statuses of a code that the edition used does not contain. A code found only in
# earlier editions is "terminated".
_MISSING_STATUSES = ("not_found", "terminated")


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
        info = self.describe(system, code)
        if info.status == "not_found" and system in _IMPORTED_SYSTEMS and not self._loaded(system):
            return UNCHECKED
        return _STATUS.get(info.status, UNKNOWN)

    def description(self, system: str, code: str) -> str | None:
        info = self.describe(system, code)
        return info.description if info.status in _STATUS else None

    def expired_note(self, system: str) -> str | None:
        """Return a note for the reviewer when the edition used for *system* has ended, else None.

        An edition has ended when the date of service, or today without one, is after its
        last day in force. A lookup that fell back to an edition not in force on the date
        of service already carries the warning of ``release_in_force``, so it gets no
        second note.
        """
        release, warning = self._release(system)
        if release is None or warning is not None:
            return None
        return outdated_note(release, self.date_of_service)

    def in_force(self, system: str) -> bool:
        """Return whether a loaded edition of *system* is in force on the date of service.

        Without a date of service, the newest loaded edition must still be in force today.
        """
        release, warning = self._release(system)
        if release is None or warning is not None:
            return False
        return not ended_before(release, self.date_of_service or date.today())

    def unchecked(self, system: str, code: str) -> bool:
        """Return whether the lookup of *code* could neither confirm nor reject it.

        That is the case when the code is missing from the edition used and that edition
        is not in force on the date of service, or no edition of the code's set is loaded.
        A code missing from an edition in force is "not found" instead.
        """
        info = self.describe(system, code)
        missing = info.description is None and info.status in _MISSING_STATUSES
        return missing and not self.in_force(system)

    def _release(self, system: str) -> tuple[CodeRelease | None, str | None]:
        return cached_release(self.session, _RELEASE_SYSTEMS.get(system, system),
                              self.date_of_service)

    def _loaded(self, system: str) -> bool:
        release, _warning = self._release(system)
        return release is not None
