"""Plain-text layout helpers for replies."""

from __future__ import annotations

import textwrap
from typing import Any

DESCRIPTION_WIDTH = 56
NOT_FOUND = "Not in the loaded code sets; please check the code."


def _code_label(code: dict[str, Any]) -> str:
    label = str(code["code"])
    if code.get("range_end"):
        label += f"-{code['range_end']}"
    if code.get("modifiers"):
        label += "-" + "-".join(code["modifiers"])
    if code.get("units"):
        label += f" x{code['units']}"
    return label


def _description(code: dict[str, Any]) -> str:
    if code.get("description"):
        return str(code["description"])
    if code.get("section"):
        return f"Section: {code['section']}"
    return NOT_FOUND


def codes_table(codes: list[dict[str, Any]]) -> str:
    """Return the codes as an aligned plain-text table, descriptions wrapped to fit."""
    rows = [(_code_label(code), str(code["system_label"]), _description(code)) for code in codes]
    code_width = max([len("Code"), *(len(row[0]) for row in rows)])
    system_width = max([len("System"), *(len(row[1]) for row in rows)])
    indent = " " * (code_width + system_width + 4)

    lines = [f"{'Code':<{code_width}}  {'System':<{system_width}}  Description",
             f"{'-' * code_width}  {'-' * system_width}  {'-' * DESCRIPTION_WIDTH}"]
    for label, system, description in rows:
        wrapped = textwrap.wrap(description, DESCRIPTION_WIDTH) or [""]
        lines.append(f"{label:<{code_width}}  {system:<{system_width}}  {wrapped[0]}")
        lines.extend(indent + line for line in wrapped[1:])
    return "\n".join(lines)
