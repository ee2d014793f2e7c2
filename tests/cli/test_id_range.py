"""Command-line ids too large for the database's integer columns read as missing ids."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.storage.ids import MAX_ID

# Past int4 (PostgreSQL), past 64 bits (SQLite), and far past both.
OUT_OF_RANGE = [MAX_ID + 1, 2**63, 10**20]
MISSING_ID = 999


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("command", [["review", "show"], ["quarantine", "show"],
                                     ["quarantine", "retry"], ["quarantine", "release"]])
def test_huge_id_reads_as_missing(runner: CliRunner, db_url: str, command: list[str],
                                  number: int) -> None:
    missing = runner.invoke(main, [*command, str(MISSING_ID)])
    result = runner.invoke(main, [*command, str(number)])

    assert missing.exit_code == 1
    assert result.exit_code == 1
    assert result.output == missing.output.replace(str(MISSING_ID), str(number))


@pytest.mark.parametrize("number", OUT_OF_RANGE)
@pytest.mark.parametrize("action", [["reject", "--reason", "Duplicate"], ["redraft"]])
def test_review_action_on_huge_id(runner: CliRunner, accounts, action: list[str],
                                  number: int) -> None:
    verb, *options = action

    result = runner.invoke(main, ["review", verb, str(number), "--reviewer", "rita", *options])

    assert result.exit_code == 1
    assert result.output.startswith(f"error: no draft with id {number};")
