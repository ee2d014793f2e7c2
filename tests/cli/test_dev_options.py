"""``caseconsultant dev``: options checked before any service starts, and the banner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from consultant.cli import dev as dev_module
from consultant.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _fail_if_started(*_args: object) -> None:
    raise AssertionError("dev went on to start its services")


@pytest.mark.parametrize("option", ["--imap-port", "--smtp-port", "--web-port"])
@pytest.mark.parametrize("port", ["0", "-1", "65536", "70000"])
def test_dev_port_out_of_range_rejected(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, option: str, port: str
) -> None:
    monkeypatch.setattr(dev_module, "_lock_data_dir", _fail_if_started)
    monkeypatch.setattr(dev_module, "_run", _fail_if_started)

    result = runner.invoke(main, ["dev", option, port])

    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': {port} is not in the range 1<=x<=65535" in result.output
    assert "Traceback" not in result.output
    assert "already in use" not in result.output
    assert not (tmp_path / "var").exists()


def test_web_port_out_of_range_rejected(runner: CliRunner) -> None:
    result = runner.invoke(main, ["web", "--port", "70000"])

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--port': 70000 is not in the range 1<=x<=65535" in result.output


def test_dev_help_shows_port_range(runner: CliRunner) -> None:
    result = runner.invoke(main, ["dev", "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.count("1<=x<=65535") == 3


def test_banner_adds_readme_first_account(tmp_path: Path) -> None:
    banner = dev_module._banner("coding-help@example.org", 8143, 8025, tmp_path,
                                "http://127.0.0.1:8000", tmp_path / "dev.toml")
    program = dev_module._program()
    readme = README.read_text(encoding="utf-8")

    assert f"  {program} users add rcoder --role admin   (once, the first account;" in banner
    assert f"{program} review approve ID --reviewer rcoder --answer-file" in banner
    assert "YOUR-USERNAME" not in banner
    assert "caseconsultant users add rcoder --role admin\n" in readme
    assert "caseconsultant review approve 3 --reviewer rcoder " in readme
