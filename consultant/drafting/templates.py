"""The Jinja2 environments that render replies from ``templates/`` and from admin overrides.

Shipped templates render in a plain environment. When an admin has saved an override
of a template (a ``TemplateOverride`` row), the reply renders in a
``SandboxedEnvironment`` whose ``ChoiceLoader`` finds the override first and the
shipped files second, so an edited template cannot reach Python internals through
attributes such as ``__class__``. Both environments keep autoescape for ``.html.j2``
names and ``StrictUndefined``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
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


def _options(loader: BaseLoader) -> dict[str, Any]:
    return {
        "loader": loader,
        "autoescape": select_autoescape(enabled_extensions=("html.j2",), default=False),
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }


@lru_cache(maxsize=4)
def _environment(folder: Path) -> Environment:
    return Environment(**_options(FileSystemLoader(folder)))


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
    return SandboxedEnvironment(**_options(loader))


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
