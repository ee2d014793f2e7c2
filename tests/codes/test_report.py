"""The report a draft stores: lookups of every extracted code and the NCCI verdicts."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.report import report
from consultant.extraction import extract


def test_report_from_extracted_question(loaded: Session) -> None:
    question = "Can 59001 go with E11.40 and S02.0 on the same claim, with modifier 25?"
    result = report(loaded, extract(question), date(2026, 5, 1))
    by_code = {info.code: info for info in result.codes}
    assert by_code["59001"].status == "section_only"
    assert by_code["E11.40"].status == "valid"
    assert by_code["S02.0"].status == "incomplete"
    assert by_code["25"].system == "modifier"
    assert result.ncci is not None
    assert result.ncci.codes == ["59001"]
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["codes"][0]["code"] == "59001"


def test_report_without_procedures(loaded: Session) -> None:
    result = report(loaded, extract("Is E11.9 billable?"))
    assert [info.code for info in result.codes] == ["E11.9"]
    assert result.ncci is None
    assert result.to_dict()["ncci"] is None
