"""Benchmark: imports, lookups, word search and worker memory of the code knowledge base.

Imports ICD-10-CM FY2026 (bundled), and from the data folder the HCPCS ANWEB workbook and
the ICD-10-PCS tables, plus a synthetic NCCI PTP file, timing each.  Then, in the same run:

- ``describe()`` over N random codes (p50/p99), against the bare indexed SELECT of the same
  code row as the baseline, so the ratio is the cost of everything a lookup adds;
- ``search()`` over M word queries drawn from random descriptors (p50/p95);
- the resident memory of a fresh Python process after its first lookup, against the same
  interpreter with SQLAlchemy imported and nothing else.

Usage: python bench/codes.py [--database-url URL] [--lookups N] [--queries M] [--data-dir DIR]
Without --database-url a fresh SQLite file in a temporary folder is used.  A PostgreSQL
URL must name an empty database that the benchmark may fill.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(
    os.environ.get("CASECONSULTANT_TEST_DATA_DIR", REPOSITORY.parent / "shared" / "data")
)
SEED = 20261204
MEMORY_PROBE = """
import os, sys
from sqlalchemy import create_engine
{extra}
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmRSS")))
"""
FIRST_LOOKUP = """
from consultant.codes.lookup import describe
from consultant.storage import session_scope
with session_scope(sys.argv[1]) as session:
    describe(session, "icd10cm", "E11.40")
"""


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _synthetic_ptp(folder: Path, rows: int) -> Path:
    generator = random.Random(SEED)
    path = folder / "ccipra-bench-f1.txt"
    lines = [
        "Invented notice line",
        "Column 1\tColumn 2\t*\tEffective Date\tDeletion Date\tModifier\tRationale",
    ]
    for _ in range(rows):
        first, second = generator.sample(range(10004, 69990), 2)
        lines.append(
            f"{first}\t{second}\t\t20250101\t*\t{generator.choice('01')}\tInvented rationale"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _imports(url: str, data: Path, folder: Path) -> list[tuple[str, int, float]]:
    from consultant.codes import edits_import, importers
    from consultant.storage import session_scope

    jobs: list[tuple[str, Callable[..., object]]] = [("ICD-10-CM FY2026", importers.import_icd10cm)]
    hcpcs = data / "hcpcs" / "HCPC2025_OCT_ANWEB.xlsx"
    if hcpcs.exists():
        jobs.append(("HCPCS 2025 Oct (xlsx)", lambda s: importers.import_hcpcs(s, hcpcs)))
    tables = data / "icd10pcs" / "icd10pcs_tables_2026.xml"
    if tables.exists():
        jobs.append(("ICD-10-PCS FY2026", lambda s: importers.import_icd10pcs(s, tables)[0]))
    ptp = _synthetic_ptp(folder, 200_000)
    jobs.append(("NCCI PTP (synthetic)", lambda s: edits_import.import_ptp(s, [ptp])))
    results = []
    for name, job in jobs:
        with session_scope(url) as session:
            seconds, result = _timed(lambda job=job, session=session: job(session))
        results.append((name, result.row_count, seconds))  # type: ignore[attr-defined]
    return results


def _sample_codes(url: str, count: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from consultant.codes.models import Code
    from consultant.storage import session_scope

    generator = random.Random(SEED)
    with session_scope(url) as session:
        rows = session.execute(
            select(Code.system, Code.code).where(Code.billable.is_(True), Code.system != "modifier")
        ).all()
    sample = [(row.system, row.code) for row in generator.sample(rows, min(count, len(rows)))]
    cpt = [("cpt", f"{generator.randint(10004, 69990)}") for _ in range(count // 20)]
    return (sample + cpt)[:count]


def _lookups(url: str, codes: list[tuple[str, str]]) -> tuple[list[float], list[float]]:
    from sqlalchemy import select

    from consultant.codes.info import cached_release
    from consultant.codes.lookup import describe
    from consultant.codes.models import Code
    from consultant.storage import session_scope

    lookups, baseline = [], []
    with session_scope(url) as session:
        for system, code in codes[:100]:
            describe(session, system, code)
        for system, code in codes:
            seconds, _ = _timed(lambda system=system, code=code: describe(session, system, code))
            lookups.append(seconds)
        for system, code in codes:
            release, _ = cached_release(session, "hcpcs" if system == "modifier" else system, None)
            query = select(Code.id).where(
                Code.system == system,
                Code.code == code,
                Code.release_id == (release.id if release else 0),
            )
            seconds, _ = _timed(lambda query=query: session.execute(query).first())
            baseline.append(seconds)
    return lookups, baseline


def _queries(url: str, count: int) -> list[str]:
    from sqlalchemy import select

    from consultant.codes.models import Code
    from consultant.storage import session_scope

    generator = random.Random(SEED + 1)
    with session_scope(url) as session:
        descriptions = session.scalars(
            select(Code.description).where(Code.billable.is_(True))
        ).all()
    queries = []
    while len(queries) < count:
        words = [
            word.strip(",()") for word in generator.choice(descriptions).split() if len(word) > 3
        ]
        if len(words) >= 2:
            queries.append(" ".join(generator.sample(words, 2)))
    return queries


def _searches(url: str, queries: list[str]) -> list[float]:
    from consultant.codes.search import search
    from consultant.storage import session_scope

    timings = []
    with session_scope(url) as session:
        for query in queries[:10]:
            search(session, query)
        for query in queries:
            seconds, _ = _timed(lambda query=query: search(session, query))
            timings.append(seconds)
    return timings


def _resident_kib(url: str, extra: str) -> int:
    script = MEMORY_PROBE.format(extra=extra)
    command = [sys.executable, "-c", script, url]
    # The script is a constant of this file and the interpreter is the running one.
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    return int(output.strip().splitlines()[-1])


def _report(args: argparse.Namespace, url: str, folder: Path) -> None:
    backend = url.split(":", 1)[0]
    print(f"database: {backend}; lookups: {args.lookups}; queries: {args.queries}")
    print("\n| import | rows | seconds | rows/s |\n| --- | ---: | ---: | ---: |")
    for name, rows, seconds in _imports(url, args.data_dir, folder):
        print(f"| {name} | {rows:,} | {seconds:.1f} | {rows / seconds:,.0f} |")
    lookups, baseline = _lookups(url, _sample_codes(url, args.lookups))
    searches = _searches(url, _queries(url, args.queries))
    ms = 1000.0
    print("\n| measure | p50 ms | p95 ms | p99 ms | ratio to baseline p50 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    base = statistics.median(baseline)
    for name, samples in (
        ("bare SELECT (baseline)", baseline),
        ("describe()", lookups),
        ("search()", searches),
    ):
        p50, p95, p99 = (_percentile(samples, fraction) * ms for fraction in (0.5, 0.95, 0.99))
        ratio = statistics.median(samples) / base
        print(f"| {name} | {p50:.3f} | {p95:.3f} | {p99:.3f} | {ratio:.1f} |")
    bare = _resident_kib(url, "")
    worker = _resident_kib(url, FIRST_LOOKUP)
    print(
        f"\nresident memory after first lookup: {worker / 1024:.0f} MiB "
        f"(interpreter with SQLAlchemy only: {bare / 1024:.0f} MiB, ratio {worker / bare:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL of an empty database")
    parser.add_argument("--lookups", type=int, default=10_000, help="codes looked up")
    parser.add_argument("--queries", type=int, default=200, help="word searches run")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="official sample files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-codes-") as name:
        folder = Path(name)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        from consultant.storage import migrate

        migrate.upgrade(url)
        _report(args, url, folder)


if __name__ == "__main__":
    main()
