"""CPT: placement by public section ranges and the code categories, with no descriptor text."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from consultant.codes import cpt
from consultant.codes.lookup import describe


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("99213", "Evaluation and Management > Office or Other Outpatient Services"),
        ("99499", "Evaluation and Management"),
        ("00100", "Anesthesia > Head"),
        ("01999", "Anesthesia > Other Procedures"),
        ("10004", "Surgery > General"),
        ("27447", "Surgery > Musculoskeletal System"),
        ("59001", "Surgery > Maternity Care and Delivery"),
        ("69990", "Surgery > Operating Microscope"),
        ("76506", "Radiology > Diagnostic Ultrasound"),
        ("76999", "Radiology > Diagnostic Ultrasound"),
        ("80047", "Pathology and Laboratory > Organ or Disease Oriented Panels"),
        ("89398", "Pathology and Laboratory > Reproductive Medicine Procedures"),
        ("90281", "Medicine > Immune Globulins, Serum or Recombinant Products"),
        ("99199", "Medicine > Other Services and Procedures"),
        ("99500", "Medicine > Home Health Procedures/Services"),
        ("99607", "Medicine > Medication Therapy Management Services"),
    ],
)
def test_section_ranges(code: str, section: str) -> None:
    placement = cpt.place(code)
    assert placement is not None
    assert placement.section == section
    assert placement.category == "Category I"


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("0001F", "Category II (performance measurement)"),
        ("0042T", "Category III (emerging technology)"),
        ("0001U", "Proprietary Laboratory Analyses (PLA)"),
    ],
)
def test_letter_categories(code: str, category: str) -> None:
    placement = cpt.place(code)
    assert placement is not None
    assert placement.category == category


@pytest.mark.parametrize("code", ["99999", "00001", "09999", "99610"])
def test_outside_every_section(code: str) -> None:
    placement = cpt.place(code)
    assert placement is not None
    assert not placement.recognised


@pytest.mark.parametrize("code", ["1234", "123456", "1234X", "A1234"])
def test_not_cpt_shaped(code: str) -> None:
    assert cpt.place(code) is None


def test_describe_without_licensed_file(session: Session) -> None:
    info = describe(session, "cpt", "59001")
    assert info.status == "section_only"
    assert info.description is None
    assert info.billable is None
    assert info.section == "Surgery > Maternity Care and Delivery"
    assert info.source == "CPT section ranges (public)"
    assert "licensed by the AMA" in info.messages[-1]


def test_describe_unplaced_cpt(session: Session) -> None:
    assert describe(session, "cpt", "99999").status == "not_found"
    assert describe(session, "cpt", "ABCDE").status == "not_found"
    assert describe(session, "nonsense", "99213").status == "not_found"
