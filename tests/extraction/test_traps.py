"""Spans of keyword traps at the start of the text, after a dot and side by side."""

from __future__ import annotations

from consultant.extraction.traps import find_traps


def test_keyword_trap_at_text_start():
    assert find_traps("NPI 1234567890") == [(0, 14)]


def test_keyword_after_dot_is_no_trap():
    assert find_traps("ref.npi 1234567890") == []


def test_keyword_traps_side_by_side():
    spans = find_traps("zip 99204-1234 tel 5095550142")
    assert (0, 14) in spans
    assert (15, 29) in spans
