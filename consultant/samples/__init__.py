"""Synthetic coder questions, stored as RFC 5322 .eml files.

Each file is an email that a medical coder or biller might send to the service mailbox.
Together they cover the usual mail clients (Outlook, Gmail, Apple Mail, Thunderbird,
phones), transfer encodings and charsets, replies and forwards, and the ways coders write
codes, modifiers, units and ranges. The people, practices and patients are made up.

``expected.json`` maps each file name to its decoded subject, its sender address and, per
code system, the codes that a coder reading the message would count as the sender's. Codes
that appear only in quoted earlier messages are listed under ``quoted_codes``. The optional
keys are ``ranges`` (written ranges such as 99202-99205, whose codes are all listed),
``quote_marker`` (the text where the quoted earlier message begins), ``not_codes`` (strings
that look like codes but are not, such as ZIP codes) and ``note``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

EXPECTED_FILE_NAME = "expected.json"


def _samples_folder() -> Path:
    folder = resources.files(__name__)
    if not isinstance(folder, Path):
        # NOTE: a zipped install has no folder on disk, so it cannot return pathlib paths.
        raise RuntimeError(
            f"sample files not found in a folder on disk: {folder!r}. Install the package "
            "unzipped, for example with pip."
        )
    return folder


def sample_paths() -> list[Path]:
    """Return the paths of the sample .eml files, sorted by file name."""
    folder = _samples_folder()
    return sorted(path for path in folder.iterdir() if path.suffix == ".eml")


def load_expected() -> dict[str, dict[str, Any]]:
    """Read expected.json: the subject, sender and codes of each sample, keyed by file name."""
    text = (_samples_folder() / EXPECTED_FILE_NAME).read_text(encoding="utf-8")
    return json.loads(text)
