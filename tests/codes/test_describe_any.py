"""``describe`` and ``describe_any`` answer every input without raising."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from consultant.codes.info import STATUSES
from consultant.codes.lookup import SYSTEMS, describe, describe_any, guess_systems, split_codes

CODE_CHARACTERS = st.text(alphabet="0123456789ABCDEFIOXZ.,- abc%_'\"", max_size=10)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(system=st.sampled_from(SYSTEMS), code=CODE_CHARACTERS)
def test_describe_never_raises(loaded: Session, system: str, code: str) -> None:
    info = describe(loaded, system, code)
    assert info.status in STATUSES
    if info.status == "not_found":
        assert info.messages


def test_guess_systems_orders_candidates() -> None:
    assert guess_systems("99213") == ["cpt"]
    assert guess_systems("0042T") == ["cpt"]
    assert guess_systems("E11.9") == ["icd10cm"]
    assert guess_systems("E1140") == ["hcpcs", "icd10cm"]
    assert guess_systems("LT") == ["modifier"]
    assert guess_systems("0DTJ4ZZ") == ["icd10pcs"]


def test_guess_systems_undotted_needs_category() -> None:
    # J33 (nasal polyp) is an ICD-10-CM category, but Z07 is not.
    assert guess_systems("J3301") == ["hcpcs", "icd10cm"]
    assert guess_systems("Z0759") == ["hcpcs"]
    assert guess_systems("Z07.59") == ["icd10cm"]
    assert guess_systems("C4A0") == ["icd10cm"]


def test_guess_systems_no_code_shape() -> None:
    assert guess_systems("ZZZ99") == []
    assert guess_systems("HELLO") == []
    assert guess_systems("") == []


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("E11.4 E11.40", ["E11.4", "E11.40"]),
        ("E11.4,E11.40", ["E11.4", "E11.40"]),
        (" E11.4 ,\tE11.40, ", ["E11.4", "E11.40"]),
        ("E11,40", ["E11,40"]),
        ("S02,0XXA", ["S02,0XXA"]),
        ("E11,I10", ["E11", "I10"]),
        ("99213,20610", ["99213", "20610"]),
        ("99213-25", ["99213-25"]),
        (" , ", []),
    ],
)
def test_split_codes(text: str, codes: list[str]) -> None:
    assert split_codes(text) == codes


def test_describe_any_picks_found_system(loaded: Session) -> None:
    assert describe_any(loaded, "E11.9").system == "icd10cm"
    assert describe_any(loaded, "S02.0XXA").system == "icd10cm"
    assert describe_any(loaded, "59001").system == "cpt"
    unknown = describe_any(loaded, "Q9Q9Q")
    assert unknown.status == "not_found"
    assert unknown.system == ""
    assert unknown.code == "Q9Q9Q"
