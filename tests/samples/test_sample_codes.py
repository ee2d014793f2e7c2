"""The codes drafting reads from each sample question match what a coder reads there."""

from __future__ import annotations

import pytest

from consultant.extraction import extract_message
from consultant.parsing import parse_message
from consultant.samples import load_expected, sample_paths

SYSTEMS = ("cpt", "hcpcs", "icd10cm", "icd10pcs", "modifier")


def _found(path) -> dict[str, set[str]]:  # noqa: ANN001
    parsed = parse_message(path.read_bytes())
    found: dict[str, set[str]] = {system: set() for system in SYSTEMS}
    for reference in extract_message(parsed.subject, parsed.question).references:
        found[reference.system].add(reference.code)
        if reference.range_end and reference.code.isdigit() and reference.range_end.isdigit():
            for number in range(int(reference.code), int(reference.range_end) + 1):
                found[reference.system].add(f"{number:05d}")
    return found


@pytest.mark.parametrize("path", sample_paths(), ids=lambda path: path.name)
def test_sample_codes_match_expected(path) -> None:  # noqa: ANN001
    expected = load_expected()[path.name]["codes"]

    found = _found(path)

    for system in SYSTEMS:
        assert found[system] == set(expected.get(system, [])), system
