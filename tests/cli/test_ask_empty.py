"""caseconsultant ask rejects an empty question as the web page and the API do."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.errors import EmptyQuestion

EMPTY_QUESTION = str(EmptyQuestion())


@pytest.mark.parametrize("data", [b"", b"\n", b"   \r\n\t ", "\u00a0\u2003\n".encode()])
def test_ask_rejects_empty_question(runner: CliRunner, session: Session, data: bytes) -> None:
    result = runner.invoke(main, ["ask", "--subject", "Modifier question 99213"], input=data)

    assert result.exit_code == 1
    assert result.output == f"error: {EMPTY_QUESTION}\n"


def test_ask_empty_question_without_database(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask"], input=b"  \n")

    assert result.exit_code == 1
    assert result.output == f"error: {EMPTY_QUESTION}\n"


def test_empty_question_message_names_example() -> None:
    assert EMPTY_QUESTION.startswith("the question is empty; ")
    assert "Is E11.4 billable?" in EMPTY_QUESTION
