"""Measure code extraction on the labelled corpus: quality per system and throughput.

Run from the repository root::

    python bench/extraction.py [--corpus tests/extraction/corpus] [--seconds 3] [--errors]
                               [--floor] [--capitals]

``--corpus`` also takes one corpus file, to measure one style of email alone.
``--capitals`` measures the corpus with every subject, body and trap string upper-cased,
as mail written in capitals reads.

Quality is precision, recall and F1 per system over (email, system, code) triples, the
trap strings from which something was extracted, and modifier/unit errors on expected
codes that carry them. Throughput is the corpus text (subject and body, UTF-8 bytes)
extracted email by email, repeatedly for about ``--seconds``, in MB/s (10**6 bytes) of
this process's CPU time and of wall time.

``--floor`` also times, in the same run and over the same emails, searches that do no
work in Python: one search for code-shaped tokens alone, and the token and trap patterns
in two searches (one pattern for the text as written, one for the keyword traps on the
lower-cased text). The modifier patterns are left out. Their rates estimate the most
that an extractor built on the standard ``re`` engine and these patterns can reach, and
the ratios to the extractor's rate show how much of its time is the engine's.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from consultant.extraction import extract_message
from consultant.extraction.evaluation import (
    Email,
    Score,
    in_capitals,
    load_corpus,
    parse_corpus,
    score,
)
from consultant.extraction.reference import SYSTEMS
from consultant.extraction.shapes import TOKEN
from consultant.extraction.traps import (
    _CAPITAL_PATTERN,
    _KEYWORD_PATTERN,
    _NUMBER_PATTERN,
    _SIGN_PATTERN,
)

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "extraction" / "corpus"


def throughput(
    emails: list[Email], seconds: float, work: Callable[[str, str], object] = extract_message
) -> tuple[float, float, int]:
    """Return MB/s of CPU time, MB/s of wall time and the passes made in about *seconds*.

    *work* is called with the subject and body of each email. CPU time is the figure to
    compare: on a shared machine wall time also counts the time other processes held the
    processor.
    """
    size = sum(len(e.subject.encode()) + len(e.body.encode()) for e in emails)
    passes = 0
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    wall = 0.0
    while wall < seconds or passes == 0:
        for email in emails:
            work(email.subject, email.body)
        passes += 1
        wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    return size * passes / cpu / 1e6, size * passes / wall / 1e6, passes


# The token pattern and the trap patterns that run on the text as written, in one
# alternation. The keyword traps run on a lower-cased copy, in a second search.
_JOINED = re.compile(
    "|".join(
        f"(?:{pattern.pattern})"
        for pattern in (_NUMBER_PATTERN, _SIGN_PATTERN, _CAPITAL_PATTERN, TOKEN)
    ).replace("(?P<", "(?P<joined_")
)


def _tokens_only(subject: str, body: str) -> object:
    return [match.span() for match in TOKEN.finditer(f"{subject}\n\n{body}")]


def _joined_search(subject: str, body: str) -> object:
    text = f"{subject}\n\n{body}"
    spans = [match.span() for match in _JOINED.finditer(text)]
    return spans + [match.span() for match in _KEYWORD_PATTERN.finditer(text.lower())]


def floor_report(emails: list[Email], seconds: float) -> list[str]:
    """Return lines comparing the extractor's rate with searches that do no Python work."""
    rates = [
        ("extract_message", throughput(emails, seconds)[0]),
        ("code-shaped tokens only", throughput(emails, seconds, _tokens_only)[0]),
        ("tokens and traps, two searches", throughput(emails, seconds, _joined_search)[0]),
    ]
    extractor = rates[0][1]
    return [
        f"  {name:32} {rate:6.2f} MB/s of CPU time, {rate / extractor:5.2f} x extract_message"
        for name, rate in rates
    ]


def report(result: Score, emails: list[Email]) -> list[str]:
    """Return the quality table as lines of text."""
    lines = [f"{'system':10} {'expected':>8} {'found':>6} {'P':>7} {'R':>7} {'F1':>7}"]
    for system in SYSTEMS:
        expected = result.true_positives[system] + result.false_negatives[system]
        found = result.true_positives[system] + result.false_positives[system]
        lines.append(
            f"{system:10} {expected:8} {found:6} {result.precision(system):7.4f} "
            f"{result.recall(system):7.4f} {result.f1(system):7.4f}"
        )
    with_traps = sum(1 for email in emails if email.traps)
    lines.append(f"emails: {len(emails)} ({with_traps} with look-alike numbers)")
    lines.append(f"traps taken: {len(result.traps_taken)} of {result.traps}")
    lines.append(
        f"modifier/unit errors: {len(result.detail_errors)} of {result.details_checked} checked"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder, or one corpus file"
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="time to spend measuring throughput, in seconds"
    )
    parser.add_argument("--errors", action="store_true", help="list every miss, extra and trap")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the regular expression searches alone, for the same --seconds each",
    )
    parser.add_argument(
        "--capitals", action="store_true", help="upper-case every subject, body and trap first"
    )
    args = parser.parse_args(argv)

    if args.corpus.is_file():
        emails = parse_corpus(args.corpus.read_text(encoding="utf-8"), args.corpus.name)
    else:
        emails = load_corpus(args.corpus)
    if args.capitals:
        emails = in_capitals(emails)
    result = score(emails)
    for line in report(result, emails):
        print(line)
    size = sum(len(e.subject.encode()) + len(e.body.encode()) for e in emails)
    cpu_rate, wall_rate, passes = throughput(emails, args.seconds)
    print(
        f"throughput: {cpu_rate:.2f} MB/s of CPU time, {wall_rate:.2f} MB/s of wall time "
        f"({passes} passes over {size} bytes)"
    )
    if args.floor:
        print("floor, measured in this run:")
        for line in floor_report(emails, args.seconds):
            print(line)
    if args.errors:
        for line in result.errors + result.traps_taken + result.detail_errors:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
