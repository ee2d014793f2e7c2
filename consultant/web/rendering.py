"""Server-side rendering of the web pages with Jinja2, and redirects after a form post."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from consultant.drafting.text import is_unchecked, modifier_sets, unit_lines
from consultant.parsing.attachments import format_size
from consultant.web.security import Context

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.autoescape = True
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def format_age(seconds: int) -> str:
    """Return an age such as "45 min", "3 h 20 min" or "2 d 4 h"."""
    minutes = max(seconds, 0) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def format_utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


templates.env.filters["age"] = format_age
templates.env.filters["utc"] = format_utc
templates.env.filters["size"] = format_size
templates.env.tests["unchecked"] = is_unchecked
templates.env.globals["modifier_sets"] = modifier_sets
templates.env.globals["unit_lines"] = unit_lines


def render(request: Request, name: str, context: Context | None = None, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    """Render the template *name*; pages of signed-in users get the user and CSRF token."""
    values.setdefault("user", context.user if context else None)
    values.setdefault("csrf_token", context.csrf_token if context else "")
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def redirect(path: str) -> RedirectResponse:
    """Answer a form post with 303 See Other, so reloading the page does not post again."""
    return RedirectResponse(path, status_code=303)
