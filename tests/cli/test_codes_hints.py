"""Errors of caseconsultant codes that name the next step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.cli import main
from consultant.codes.models import CodeRelease
from tests.conftest import write_small_hcpcs_file


def test_lookup_modifier_without_hcpcs_names_import(runner: CliRunner, session: Session) -> None:
    result = runner.invoke(main, ["codes", "lookup", "RT"])

    assert result.exit_code == 3
    assert result.output.startswith("RT [modifier] not checked\n")
    assert "no HCPCS Level II edition is loaded, so its modifiers are unknown" in result.output
    assert "caseconsultant codes import hcpcs PATH" in result.output
    assert "HCPC2025_OCT_ANWEB.xlsx" in result.output


def test_lookup_modifier_after_hcpcs_import(runner: CliRunner, session: Session,
                                            tmp_path: Path) -> None:
    imported = runner.invoke(main, ["codes", "import", "hcpcs",
                                    str(write_small_hcpcs_file(tmp_path))])

    result = runner.invoke(main, ["codes", "lookup", "RT"])

    assert imported.exit_code == 0, imported.output
    assert result.exit_code == 0, result.output
    assert "RT [modifier] valid" in result.output


@pytest.mark.parametrize(
    ("command", "value", "problem"),
    [
        (["codes", "lookup", "E11.9"], "11/25/2026", "'11/25/2026' is not written YYYY-MM-DD"),
        (["codes", "lookup", "E11.9"], "2026-11", "'2026-11' is not written YYYY-MM-DD"),
        (["codes", "lookup", "E11.9"], "2026-02-30", "'2026-02-30' is not a calendar date"),
        (["codes", "check", "99213"], "25.11.2026", "'25.11.2026' is not written YYYY-MM-DD"),
    ],
)
def test_date_option_names_format_and_example(runner: CliRunner, command: list[str],
                                              value: str, problem: str) -> None:
    result = runner.invoke(main, [*command, "--date", value])

    assert result.exit_code == 2
    assert f"Invalid value for '--date': {problem}" in result.output
    assert "give year, month and day, for example 2026-11-25" in result.output


def test_date_option_help_shows_format(runner: CliRunner) -> None:
    result = runner.invoke(main, ["codes", "lookup", "--help"])

    assert "--date YYYY-MM-DD" in result.output


def test_import_hcpcs_without_path_names_file(runner: CliRunner) -> None:
    result = runner.invoke(main, ["codes", "import", "hcpcs"])

    assert result.exit_code == 2
    assert "Missing argument 'PATH'. Give the CMS HCPCS Level II file" in result.output
    assert "caseconsultant codes import hcpcs HCPC2025_OCT_ANWEB.xlsx" in result.output


@pytest.mark.parametrize(
    ("options", "needed"),
    [
        ([], "give --edition and --effective-from, for example: --edition '2025 Oct' "
             "--effective-from 2025-10-01"),
        (["--edition", "2026 Jan"], "give --effective-from, for example: "
                                    "--effective-from 2025-10-01"),
        (["--effective-from", "2026-01-01"], "give --edition, for example: --edition '2025 Oct'"),
    ],
)
def test_import_renamed_hcpcs_names_missing_options(
    runner: CliRunner, session: Session, tmp_path: Path, options: list[str], needed: str
) -> None:
    renamed = tmp_path / "hcpcs-codes.csv"
    shutil.move(write_small_hcpcs_file(tmp_path), renamed)

    result = runner.invoke(main, ["codes", "import", "hcpcs", str(renamed), *options])

    assert result.exit_code == 2
    assert "the file name 'hcpcs-codes.csv' does not show the quarter" in result.output
    assert needed in result.output
    assert session.scalar(select(func.count()).select_from(CodeRelease)) == 0


def test_import_renamed_hcpcs_with_options(runner: CliRunner, session: Session,
                                           tmp_path: Path) -> None:
    renamed = tmp_path / "hcpcs-codes.csv"
    shutil.move(write_small_hcpcs_file(tmp_path), renamed)

    result = runner.invoke(main, ["codes", "import", "hcpcs", str(renamed),
                                  "--edition", "2026 Jan", "--effective-from", "2026-01-01"])

    assert result.exit_code == 0, result.output
    assert "HCPCS Level II 2026 Jan" in result.output


def test_import_missing_file_not_found(runner: CliRunner, session: Session,
                                       tmp_path: Path) -> None:
    result = runner.invoke(main, ["codes", "import", "hcpcs", str(tmp_path / "gone.csv")])

    assert result.exit_code == 1
    assert "gone.csv: file not found" in result.output
