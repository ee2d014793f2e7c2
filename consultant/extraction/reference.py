"""The result type of extraction and the protocol for checking codes against code sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")

# Values of ``CodeChecker.status``.
VALID = "valid"
INCOMPLETE = "incomplete"
HEADER = "header"
UNKNOWN = "unknown"
# No edition of the code's system is loaded, so the checker can neither confirm nor reject it.
UNCHECKED = "unchecked"

# ``CodeReference.validity`` of a code that no loaded code set contains.
UNRECOGNISED = "unrecognised"

Span = tuple[int, int]


class CodeChecker(Protocol):
    """Looks codes up in the loaded code sets."""

    def status(self, system: str, code: str) -> str:
        """Return "valid", "incomplete", "header", "unknown" or "unchecked" for a normalised code.

        "incomplete" means more characters are required (an ICD-10-CM 7th character, for
        example) and "header" means the code exists but is not billable.
        """
        ...

    def description(self, system: str, code: str) -> str | None:
        """Return the official description of a code the loaded code sets contain, else None."""
        ...


@dataclass
class CodeReference:
    """One distinct code or range found in a text, with every place it was written.

    ``positions`` are character offsets into the text given to ``extract`` (into the body
    for ``extract_message``); ``subject_positions`` are offsets into the subject.
    ``validity`` stays ``None`` when no checker was given; otherwise it is the checker's
    status, or "unrecognised" when no loaded code set contains the code.

    ``modifiers`` are all the modifiers of the code, glued on or named elsewhere.
    ``modifier_sets`` keeps those glued on (or in the code's table row) as written
    together: "27447-RT, 27447-LT or 27447-50" gives three sets, where a reader must not
    take RT, LT and 50 for one line. Each set is kept once, and the code written alone
    adds none. A set inside another one is kept, because "97110-GP" and "97110-GP-59"
    are two lines.

    ``unit_lines`` keeps each place the code is written with units, as the modifiers
    written there and the units: "J9305 x 95 on line 1 and J9305-JW x 5 on line 2" gives
    ``[([], 95), (["JW"], 5)]``. ``units`` is the first of them.
    """

    system: str
    code: str
    positions: list[Span] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None
    range_end: str | None = None
    subject_positions: list[Span] = field(default_factory=list)
    validity: str | None = None
    notes: list[str] = field(default_factory=list)
    modifier_sets: list[list[str]] = field(default_factory=list)
    unit_lines: list[tuple[list[str], int]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The identity of the reference: system, code and range end."""
        return self.system, self.code, self.range_end

    @property
    def label(self) -> str:
        """The code as a reader would write it, with the range end if there is one."""
        if self.range_end is None:
            return self.code
        return f"{self.code}-{self.range_end}"

    @property
    def unrecognised(self) -> bool:
        """Whether a checker was consulted and no loaded code set contains the code."""
        return self.validity == UNRECOGNISED

    def add_modifier_set(self, written: list[str]) -> None:
        """Record modifiers written together with the code at one place."""
        if written and all(set(written) != set(kept) for kept in self.modifier_sets):
            self.modifier_sets.append(list(written))

    def add_unit_line(self, written: list[str], units: int) -> None:
        """Record the units written with the code at one place, with the modifiers there."""
        if (written, units) not in self.unit_lines:
            self.unit_lines.append((list(written), units))
        if self.units is None:
            self.units = units

    def first_position(self) -> tuple[int, int]:
        """Return a sort key that puts subject mentions before body mentions."""
        if self.subject_positions:
            return 0, self.subject_positions[0][0]
        if self.positions:
            return 1, self.positions[0][0]
        return 2, 0

    def to_dict(self) -> dict[str, Any]:
        """Return the reference as JSON-ready data."""
        return {
            "system": self.system,
            "code": self.code,
            "range_end": self.range_end,
            "modifiers": list(self.modifiers),
            "modifier_sets": [list(written) for written in self.modifier_sets],
            "units": self.units,
            "unit_lines": [
                {"modifiers": list(written), "units": units} for written, units in self.unit_lines
            ],
            "positions": [list(span) for span in self.positions],
            "subject_positions": [list(span) for span in self.subject_positions],
            "validity": self.validity,
            "notes": list(self.notes),
        }
