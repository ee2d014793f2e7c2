"""Admin overrides of the consultation reply bodies: view, check, save with versions, revert.

The subject line is built in code (``drafting.services.reply_subject``); only the two
bodies can be overridden. A new source is compiled and rendered in the sandbox with
sample contexts before it is saved, so a syntax error, an undefined variable or a
blocked attribute is reported with its line number and nothing is stored.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.drafting.templates import (
    OVERRIDE_PREFIX,
    build_sandbox,
    load_overrides,
    templates_dir,
)
from consultant.drafting.text import TEMPLATE_HELPERS
from consultant.errors import ConsultantError, NotFound
from consultant.storage.base import utcnow
from consultant.storage.models import TemplateOverride, TemplateVersion

log = logging.getLogger(__name__)

FOLDER = "replies/consultation/"
# The editable templates by the short name that pages and the API use.
EDITABLE = {"body.txt": FOLDER + "body.txt.j2", "body.html": FOLDER + "body.html.j2"}
MAX_SOURCE_LENGTH = 100_000


class TemplateCheckFailed(ConsultantError):
    """A template source failed to compile or to render; ``line`` is None when unknown."""

    def __init__(self, message: str, line: int | None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message.rstrip('.')}; nothing was saved")
        self.line = line


class TemplateConflict(ConsultantError):
    """Another admin saved the same template while this save ran; nothing was saved."""


@dataclass
class TemplateView:
    """One editable template: the shipped source, the override if any, and its history."""

    key: str
    name: str
    shipped: str
    override: TemplateOverride | None
    versions: list[TemplateVersion]

    @property
    def current(self) -> str:
        return self.override.source if self.override else self.shipped


def template_name(key: str) -> str:
    """Return the template path for a short name, or raise NotFound."""
    if key not in EDITABLE:
        raise NotFound(f"template {key!r} not found; editable templates: "
                       + ", ".join(sorted(EDITABLE)))
    return EDITABLE[key]


def shipped_source(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def view_template(session: Session, key: str) -> TemplateView:
    name = template_name(key)
    override = session.scalar(select(TemplateOverride).where(TemplateOverride.name == name))
    versions = list(session.scalars(select(TemplateVersion).where(TemplateVersion.name == name)
                                    .order_by(TemplateVersion.version.desc())))
    return TemplateView(key=key, name=name, shipped=shipped_source(name), override=override,
                        versions=versions)


def list_templates(session: Session) -> list[TemplateView]:
    return [view_template(session, key) for key in EDITABLE]


def sample_contexts() -> list[dict[str, Any]]:
    """Return the contexts a new source must render with: a full reply and an empty one."""
    code = {
        "system": "cpt", "code": "99213", "range_end": None, "modifiers": ["25"], "units": None,
        "positions": [[0, 5]], "subject_positions": [], "validity": "valid",
        "notes": {"coverage": ["Sample coverage note"]},
        "system_label": "CPT", "status": "found",
        "description": "Office or other outpatient visit, established patient",
        "section": "Evaluation and Management", "source": "sample", "messages": ["Sample note"],
        "verdicts": ["Sample edit"],
    }
    # The keys of intake.threading.case_history. The reply has no time, because sent_at
    # may be empty and the shipped templates handle that.
    history = [
        {"kind": "question", "at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
         "subject": "Sample question", "text": "An earlier sample question about 99213?"},
        {"kind": "reply", "at": None, "subject": "Re: Sample question",
         "text": "An earlier sample reply."},
    ]
    full = {**TEMPLATE_HELPERS, "edits": ["Sample edit"], "subject": "Sample question",
            "question": ("DOS 01/02/2026, 01/05/2026 and 01/32/2026: "
                         "can we bill 99213-25 with 20610?"),
            "codes": [code], "case_token": "0A1B2C3D", "history": history,
            "date_of_service": date(2026, 1, 5),
            "dates_of_service": [date(2026, 1, 2), date(2026, 1, 5)],
            "impossible_dates_of_service": ["01/32/2026"]}
    empty = {**full, "edits": [], "codes": [], "case_token": None, "question": "",
             "history": [], "date_of_service": None, "dates_of_service": [],
             "impossible_dates_of_service": []}
    return [full, empty]


def _error_line(error: BaseException, filename: str) -> int | None:
    # Jinja rewrites tracebacks so the template's own frames carry its file name and line.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename == filename]
    return frames[-1].lineno if frames else None


def check_source(session: Session, name: str, source: str) -> None:
    """Compile *source* as template *name* and render it with the sample contexts.

    Raises TemplateCheckFailed naming the line of the first error.
    """
    # NOTE: the sandbox caps range() at 100,000 items (jinja2.sandbox.MAX_RANGE) but not
    # render time or memory, so a template with nested loops can keep this request busy.
    if len(source) > MAX_SOURCE_LENGTH:
        raise TemplateCheckFailed(f"the template has {len(source)} characters; the maximum is "
                                  f"{MAX_SOURCE_LENGTH}", None)
    environment = build_sandbox(templates_dir(), {**load_overrides(session), name: source})
    try:
        template = environment.get_template(name)
    except TemplateSyntaxError as error:
        raise TemplateCheckFailed(f"syntax error: {error.message}", error.lineno) from error
    for context in sample_contexts():
        try:
            template.render(**context)
        except TemplateError as error:
            line = _error_line(error, OVERRIDE_PREFIX + name)
            raise TemplateCheckFailed(f"{type(error).__name__}: {error.message}", line) from error
        except Exception as error:  # noqa: BLE001 - any failure of the admin's code is reported
            line = _error_line(error, OVERRIDE_PREFIX + name)
            raise TemplateCheckFailed(f"{type(error).__name__}: {error}", line) from error


def in_use_version(override: TemplateOverride | None) -> int:
    """Return the version of the override in use, or 0 when the shipped template is in use."""
    return override.version if override is not None else 0


def describe_version(version: int) -> str:
    """Name a version that ``in_use_version`` returns, for messages."""
    return f"override version {version}" if version else "the shipped template"


def save_override(session: Session, key: str, source: str, author: str,
                  expected_version: int | None = None) -> TemplateOverride:
    """Check *source* and store it as the override of template *key*, as a new version.

    *expected_version* is the version the admin edited (see ``in_use_version``). When
    another override or a revert has replaced it since, TemplateConflict is raised and
    nothing is saved. None skips that check.
    """
    name = template_name(key)
    source = source.replace("\r\n", "\n")
    override = session.scalar(select(TemplateOverride).where(TemplateOverride.name == name))
    current = in_use_version(override)
    if expected_version is not None and current != expected_version:
        log.info("template override save rejected template=%s: version %d is in use, not %d",
                 key, current, expected_version)
        raise TemplateConflict(
            f"template {key} changed after you opened it: {describe_version(current)} is in "
            f"use, not {describe_version(expected_version)}; nothing was saved. Compare it "
            "with your source, then save again")
    check_source(session, name, source)
    version = (session.scalar(select(func.max(TemplateVersion.version))
                              .where(TemplateVersion.name == name)) or 0) + 1
    try:
        # Two admins who save at once pick the same next version. The unique (name,
        # version) constraint fails the later save, and the savepoint keeps the rest of
        # the transaction. The reads stay outside the savepoint, because on SQLite (WAL) a
        # transaction that reads before it writes fails with "database is locked" when
        # another connection wrote in between.
        with session.begin_nested():
            if override is None:
                override = TemplateOverride(name=name)
                session.add(override)
            override.source = source
            override.version = version
            override.updated_by = author
            override.updated_at = utcnow()
            session.add(TemplateVersion(name=name, version=version, source=source,
                                        author=author))
    except IntegrityError as error:
        log.info("template override save conflicted template=%s", key)
        raise TemplateConflict(
            f"template {key} was saved by another admin while this save ran; nothing was "
            "saved. Reload the page, check their version, and save again"
        ) from error
    log.info("template override saved template=%s version=%d size=%d", key, version, len(source))
    return override


def revert_override(session: Session, key: str) -> bool:
    """Delete the override of template *key*; return False when there was none.

    The saved versions stay as history.
    """
    name = template_name(key)
    deleted = session.execute(delete(TemplateOverride).where(TemplateOverride.name == name))
    log.info("template override reverted template=%s removed=%d", key, deleted.rowcount)
    return deleted.rowcount > 0
