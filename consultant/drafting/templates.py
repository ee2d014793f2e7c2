"""The Jinja2 environments that render replies from ``templates/`` and from admin overrides.

Shipped templates render in a plain environment. When an admin has saved an override
of a template (a ``TemplateOverride`` row), that template renders in a
``SandboxedEnvironment`` instead. Its ``ChoiceLoader`` finds the overrides first and the
shipped files second. The sandbox blocks attributes such as ``__class__``, so an edited
template cannot reach Python internals. Both environments autoescape ``.html.j2`` names
and use ``StrictUndefined``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    FunctionLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import get_settings
from consultant.storage.models import TemplateOverride

# Shown as the file name in errors and tracebacks of an override.
OVERRIDE_PREFIX = "override:"


def templates_dir() -> Path:
    """Return the folder of reply templates: the setting, the wheel's copy, or the checkout's."""
    configured = get_settings().templates_dir
    if configured is not None:
        return configured
    packaged = Path(__file__).resolve().parent.parent / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"


# Options shared by both environments: StrictUndefined, and whitespace control for text mail.
_OPTIONS: dict[str, Any] = {
    "undefined": StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}


@lru_cache(maxsize=4)
def _environment(folder: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        **_OPTIONS,
    )


def _override_loader(sources: Mapping[str, str]) -> FunctionLoader:
    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in sources:
            return None
        # The environment is cached per set of sources, so a loaded source never goes stale.
        return sources[name], OVERRIDE_PREFIX + name, lambda: True

    return FunctionLoader(load)


def build_sandbox(folder: Path, sources: Mapping[str, str]) -> SandboxedEnvironment:
    """Return a new sandbox that loads *sources* (source by name) before the files in *folder*."""
    loader = ChoiceLoader([_override_loader(dict(sources)), FileSystemLoader(folder)])
    return SandboxedEnvironment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        **_OPTIONS,
    )


@lru_cache(maxsize=8)
def _sandboxed_environment(folder: Path,
                           overrides: tuple[tuple[str, str], ...]) -> SandboxedEnvironment:
    # Keyed by the sources themselves, so a saved or reverted override takes effect at once.
    return build_sandbox(folder, dict(overrides))


def load_overrides(session: Session) -> dict[str, str]:
    """Return the source of every overridden template, by template name."""
    rows = session.execute(select(TemplateOverride.name, TemplateOverride.source))
    return {name: source for name, source in rows}


def render(name: str, overrides: Mapping[str, str] | None = None, **context: object) -> str:
    """Render the template *name* (relative to the templates folder) with *context*.

    With an override for *name* in *overrides* (as ``load_overrides`` returns them), the
    override renders in the sandbox instead of the shipped file.
    """
    if overrides and name in overrides:
        environment: Environment = _sandboxed_environment(
            templates_dir(), tuple(sorted(overrides.items())))
    else:
        environment = _environment(templates_dir())
    return environment.get_template(name).render(**context)
