"""Parse the CMS ICD-10-PCS tables and definitions XML files.

A ``pcsTable`` fixes positions 1-3 (section, body system, operation).  Each ``pcsRow``
lists the allowed values of positions 4-7, and the valid codes are every combination of
them.  The files carry no long titles, so each code gets a title composed from the
labels of its seven positions.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET  # noqa: S405 - official CMS file named by the user
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consultant.errors import ImportFileError

# The device aggregation table applies to the Medical and Surgical section; its entries
# are stored at this axis position, which no real axis uses.
MEDICAL_AND_SURGICAL = "0"
AGGREGATION_POSITION = 0
ALL_OPERATIONS = "All applicable"
# Labels that mark a position as unused, which a composed title leaves out.
EMPTY_LABELS = frozenset({"No Device", "No Qualifier", "None", "No Contrast"})


@dataclass
class PcsRecord:
    """One ICD-10-PCS table (three characters, a header) or one valid seven-character code."""

    code: str
    description: str
    billable: bool
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class PcsTerm:
    """One term of the definitions file, for one section and axis position."""

    section: str
    position: int
    term: str
    definition: str | None
    explanation: str | None
    includes: list[str]


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _parse(path: Path, root_tag: str) -> ET.Element:
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - official CMS file named by the user
    except ET.ParseError as error:
        line, column = error.position
        raise ImportFileError(
            f"{path.name} line {line} column {column}: expected well-formed XML ({error})"
        ) from error
    if root.tag != root_tag:
        raise ImportFileError(
            f"{path.name}: expected the root element {root_tag}, found {root.tag}"
        )
    return root


def _axis(holder: ET.Element, position: int, where: str) -> tuple[str, list[tuple[str, str]]]:
    axis = holder.find(f"axis[@pos='{position}']")
    if axis is None:
        raise ImportFileError(f"{where}: expected an axis at position {position}")
    labels = [(label.get("code", ""), _text(label)) for label in axis.findall("label")]
    if not labels or any(len(code) != 1 or not text for code, text in labels):
        raise ImportFileError(
            f"{where}: axis {position} needs labels with a one-character code and a text"
        )
    return _text(axis.find("title")), labels


def compose_title(titles: list[str], labels: list[str]) -> str:
    """Compose a readable title from the seven axis titles and labels of a code."""
    parts = [f"{labels[2]} {labels[3]}"]
    for title, label in zip(titles[4:], labels[4:], strict=True):
        if label not in EMPTY_LABELS:
            parts.append(f"{title.lower()}: {label}")
    return ", ".join(parts)


def _table(table: ET.Element, number: int) -> list[PcsRecord]:
    where = f"pcsTable {number}"
    fixed = [_axis(table, position, where) for position in (1, 2, 3)]
    if any(len(labels) != 1 for _, labels in fixed):
        raise ImportFileError(f"{where}: expected one label at each of positions 1-3")
    prefix = "".join(labels[0][0] for _, labels in fixed)
    where = f"pcsTable {number} ({prefix})"
    fixed_labels = [labels[0][1] for _, labels in fixed]
    operation = table.find("axis[@pos='3']")
    definition = _text(operation.find("definition")) if operation is not None else ""

    titles: list[str] = [title for title, _ in fixed]
    allowed: list[list[str]] = []
    records: list[PcsRecord] = []
    for row_number, row in enumerate(table.findall("pcsRow"), start=1):
        row_where = f"{where} row {row_number}"
        axes = [_axis(row, position, row_where) for position in (4, 5, 6, 7)]
        titles = titles[:3] + [title for title, _ in axes]
        allowed.append(["".join(code for code, _ in labels) for _, labels in axes])
        combinations = list(itertools.product(*(labels for _, labels in axes)))
        stated = row.get("codes")
        if stated is not None and stated != str(len(combinations)):
            raise ImportFileError(
                f"{row_where}: pcsRow codes={stated} but its labels give {len(combinations)} codes"
            )
        for combination in combinations:
            labels = fixed_labels + [text for _, text in combination]
            code = prefix + "".join(code for code, _ in combination)
            records.append(PcsRecord(code, compose_title(titles, labels), True, {"labels": labels}))
    if not records:
        raise ImportFileError(f"{where}: expected at least one pcsRow")

    header = PcsRecord(
        prefix,
        ", ".join(fixed_labels),
        False,
        {"titles": titles, "definition": definition or None, "rows": allowed},
    )
    return [header, *records]


def parse_tables(path: Path) -> tuple[str, list[PcsRecord]]:
    """Parse a tables file; return its ``<version>`` and the table headers and codes."""
    root = _parse(path, "ICD10PCS.tabular")
    records: list[PcsRecord] = []
    for number, table in enumerate(root.findall("pcsTable"), start=1):
        records.extend(_table(table, number))
    if not records:
        raise ImportFileError(f"{path.name}: expected pcsTable elements, found none")
    seen: set[str] = set()
    for record in records:
        if record.code in seen:
            raise ImportFileError(f"{path.name}: code {record.code} appears in two tables")
        seen.add(record.code)
    return _text(root.find("version")), records


def parse_definitions(path: Path) -> tuple[str, list[PcsTerm]]:
    """Parse a definitions file into one term per title, section and axis position.

    Each ``aggregate`` of the device aggregation table becomes a term at position
    ``AGGREGATION_POSITION``: the general device value as the term, the specific device
    as the definition, the operation as the explanation and the body systems as includes.
    """
    root = _parse(path, "ICD10PCS.definitions")
    terms: list[PcsTerm] = []
    for section in root.findall("section"):
        code = section.get("code", "")
        for axis in section.findall("axis"):
            position = int(axis.get("pos", "0"))
            for entry in axis.findall("terms"):
                definition = _text(entry.find("definition")) or None
                explanation = _text(entry.find("explanation")) or None
                includes = [_text(item) for item in entry.findall("includes")]
                for title in entry.findall("title"):
                    terms.append(
                        PcsTerm(code, position, _text(title), definition, explanation, includes)
                    )
    if not terms:
        raise ImportFileError(f"{path.name}: expected section/axis/terms entries, found none")
    terms.extend(_aggregates(root))
    return _text(root.find("version")), terms


def _aggregates(root: ET.Element) -> list[PcsTerm]:
    aggregates = []
    for aggregate in root.findall("deviceAggregation/aggregate"):
        parent = _text(aggregate.find("parent"))
        device = _text(aggregate.find("device"))
        if not parent or not device:
            continue
        aggregates.append(
            PcsTerm(
                MEDICAL_AND_SURGICAL,
                AGGREGATION_POSITION,
                parent,
                device,
                _text(aggregate.find("operation")) or None,
                [_text(system) for system in aggregate.findall("bodySys")],
            )
        )
    return aggregates
