"""A small in-memory code checker built from real public ICD-10-CM, HCPCS and CPT codes."""

from __future__ import annotations

# ICD-10-CM FY2025: billable codes, categories and subcategories that need more characters.
ICD10CM_VALID = {"M54.50", "M54.51", "E11.9", "I10", "Z79.4", "S72.001A", "J11.00", "R51.9"}
ICD10CM_HEADER = {"M54", "M54.5", "E11", "S72", "S72.0", "S72.00", "J11", "J11.0"}
ICD10CM_INCOMPLETE = {"S72.001", "S72.002"}
HCPCS_VALID = {"J1100", "G2211", "J3301", "A4253"}
CPT_CODES = {"99202", "99203", "99204", "99205", "99213", "99214", "97110", "97140", "59025"}
MODIFIERS = {"25", "59", "XU", "XS", "RT", "LT", "GP"}
DESCRIPTIONS = {
    "J11.00": "Influenza due to unidentified influenza virus with unspecified type of pneumonia",
}


class MemoryChecker:
    """Return statuses from the sets above, recording every call."""

    def __init__(self, unloaded: tuple[str, ...] = ()) -> None:
        self.calls: list[tuple[str, str]] = []
        self.unloaded = unloaded

    def status(self, system: str, code: str) -> str:
        self.calls.append((system, code))
        if system in self.unloaded:
            return "unchecked"
        if system == "icd10cm":
            if code in ICD10CM_VALID:
                return "valid"
            if code in ICD10CM_INCOMPLETE:
                return "incomplete"
            if code in ICD10CM_HEADER:
                return "header"
            return "unknown"
        known = {"hcpcs": HCPCS_VALID, "cpt": CPT_CODES, "modifier": MODIFIERS}.get(system, set())
        return "valid" if code in known else "unknown"

    def description(self, system: str, code: str) -> str | None:
        return DESCRIPTIONS.get(code) if system == "icd10cm" else None
