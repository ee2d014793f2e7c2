"""Plain-text layout helpers for replies."""

from __future__ import annotations

import textwrap
from typing import Any

DESCRIPTION_WIDTH = 56
NOT_FOUND = "Not found in the official code set; please check the code."
# The description of a code that the lookup could neither confirm nor reject, worded so
# that it puts no doubt on the code.
DESCRIPTION_NOT_INCLUDED = "Its description is not included in this reply."
# Statuses whose lookup messages help the asker (which code to bill instead, for example).
# Other messages, such as a code set not being loaded here, are for the reviewer only.
ASKER_STATUSES = frozenset({"header", "incomplete", "terminated"})


# Lookup messages about this installation rather than the code, such as an edition that
# is not loaded, whatever the code's status.
_INSTALLATION_WORDS = (" is loaded", "edition loaded", "codes import", "licensed", "not checked")
# Part of the message ``release_in_force`` gives when no loaded edition covers the date.
_OUT_OF_FORCE = "edition loaded is in force on"


def reply_notes(code: dict[str, Any]) -> list[str]:
    """Return the lookup messages of *code* that belong in the reply to the asker.

    None do when no loaded edition was in force on the date of service: "M54.5 is a
    header" may be false on that date. None do either for a code that was not checked,
    because a suggestion such as "did you mean J1885?" would put doubt on it. Every
    message stays in the reviewer notes.
    """
    if is_unchecked(code):
        return []
    if any(_OUT_OF_FORCE in message for message in code.get("messages") or []):
        return []
    messages = [message for message in code.get("messages") or []
                if not any(word in message for word in _INSTALLATION_WORDS)]
    if code.get("status") in ASKER_STATUSES:
        return messages
    return [message for message in messages if message.startswith("suggestion")]


def reviewer_notes(code: dict[str, Any]) -> list[str]:
    """Return the notes on *code* that only the reviewer sees, such as an expired edition."""
    shown = set(reply_notes(code))
    notes = [message for message in code.get("messages") or [] if message not in shown]
    return notes + list(code.get("review_notes") or [])


def reviewer_notes_by_code(codes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return each reviewer note on *codes* as a (code, note) pair, in the order of *codes*."""
    return [(str(code["code"]), note) for code in codes for note in reviewer_notes(code)]


def is_unchecked(code: dict[str, Any]) -> bool:
    """Return whether the lookup of *code* neither confirmed nor rejected it.

    Drafts store that as ``unchecked`` (see ``KnowledgeBaseChecker.unchecked``). A draft
    stored before that key existed counts a code as unchecked when its lookup status is
    "not_found" and its ``validity`` is empty, which the extractor wrote when no edition
    of the code's set was loaded.
    """
    if code.get("unchecked"):
        return True
    return code.get("validity") is None and code.get("status") == "not_found"


def describe_code(code: dict[str, Any]) -> str:
    """Return the description column of *code* as the asker reads it."""
    if code.get("description"):
        return str(code["description"])
    if is_unchecked(code):
        return DESCRIPTION_NOT_INCLUDED
    # A code missing from a loaded edition in force is not found, even where its first
    # characters name a section (J0000 among the drug codes). Only a code that no file
    # can confirm, such as CPT without a licensed file, is described by its section.
    if code.get("section") and code.get("status") != "not_found":
        return f"Section: {code['section']}"
    return NOT_FOUND


def modifier_sets(code: dict[str, Any]) -> list[list[str]]:
    """Return the modifiers written with *code*, in the sets they were written in.

    A code written with different modifiers in different places ("27447-RT, 27447-LT
    or 27447-50") has one set per place. A modifier named apart from the code ("should
    we NOT use modifier 59 on 76946?") is in no set: the table shows it in a row of its
    own, because the asker did not write it on the code. Drafts stored before the sets
    were kept have all the code's modifiers in one set.
    """
    if "modifier_sets" in code:
        return [list(written) for written in code["modifier_sets"]]
    return [list(code["modifiers"])] if code.get("modifiers") else []


def unit_lines(code: dict[str, Any]) -> list[tuple[list[str], int]]:
    """Return the lines of *code* with their units when it is written with units twice or more.

    "J9305 x 95 on line 1 and J9305-JW x 5 on line 2" gives two lines, the second with
    JW. Otherwise, and for drafts stored before the lines were kept, the list is empty,
    and the code's units and modifier sets are shown instead.
    """
    lines = [(list(line["modifiers"]), line["units"]) for line in code.get("unit_lines") or []]
    return lines if len(lines) > 1 else []


def _code_label(code: dict[str, Any]) -> str:
    label = str(code["code"])
    if code.get("range_end"):
        label += f"-{code['range_end']}"
    lines = unit_lines(code)
    if lines:
        return " / ".join(
            f"{label}{''.join(f'-{modifier}' for modifier in written)} x{units}"
            for written, units in lines
        )
    sets = modifier_sets(code)
    if sets:
        label = " / ".join(f"{label}-{'-'.join(written)}" for written in sets)
    if code.get("units"):
        label += f" x{code['units']}"
    return label


def codes_table(codes: list[dict[str, Any]]) -> str:
    """Return the codes as an aligned plain-text table, descriptions wrapped to fit."""
    rows = [(_code_label(code), str(code["system_label"]), describe_code(code)) for code in codes]
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


def table_codes(codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return *codes* for the reply's table.

    A modifier already shown glued to a code, such as the 25 of 99213-25, gets a row of
    its own only when it has a descriptor to add (HCPCS Level II modifiers do).
    """
    glued = {modifier for code in codes for written in modifier_sets(code) for modifier in written}
    return [code for code in codes
            if not (code["system"] == "modifier" and code["code"] in glued
                    and not code.get("description"))]


# Functions the reply templates may call, passed with every render.
TEMPLATE_HELPERS = {
    "codes_table": lambda codes: codes_table(table_codes(codes)),
    "table_codes": table_codes,
    "reply_notes": reply_notes,
    "describe_code": describe_code,
    "modifier_sets": modifier_sets,
    "unit_lines": unit_lines,
}
