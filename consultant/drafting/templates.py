"""The Jinja2 environment that renders replies from the ``templates/`` folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from consultant.config import get_settings


def templates_dir() -> Path:
    """Return the folder of reply templates: the setting, the wheel's copy, or the checkout's."""
    configured = get_settings().templates_dir
    if configured is not None:
        return configured
    packaged = Path(__file__).resolve().parent.parent / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"


@lru_cache(maxsize=4)
def _environment(folder: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: object) -> str:
    """Render the template *name* (relative to the templates folder) with *context*."""
    return _environment(templates_dir()).get_template(name).render(**context)
