"""The extraction benchmark script runs and prints every figure; no speed is asserted."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_quality_and_floor(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = ROOT / "tests" / "extraction" / "corpus" / "01_plain.txt"
    arguments = ["extraction.py", "--corpus", str(corpus), "--seconds", "0.01", "--floor"]
    monkeypatch.setattr(sys, "argv", arguments)

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "bench" / "extraction.py"), run_name="__main__")

    output = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "traps taken: 0 of" in output
    assert "throughput:" in output
    assert "tokens and traps, two searches" in output


def test_bench_measures_corpus_in_capitals(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = ROOT / "tests" / "extraction" / "corpus" / "01_plain.txt"
    arguments = ["extraction.py", "--corpus", str(corpus), "--seconds", "0.01", "--capitals"]
    monkeypatch.setattr(sys, "argv", arguments)

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "bench" / "extraction.py"), run_name="__main__")

    output = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "traps taken:" in output
    assert "throughput:" in output
