"""The ASGI application: pages, JSON API, static files, security headers and error pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from consultant.admin.reply_templates import TemplateCheckFailed, TemplateConflict
from consultant.errors import (
    ConsultantError,
    EmptyQuestion,
    InvalidTransition,
    NotFound,
    TextTooLong,
)
from consultant.metrics import metrics_response
from consultant.review.errors import ClaimedByOther, PermissionDenied, StaleVersion, Superseded
from consultant.users.services import InvalidCredentials, TooManyAttempts
from consultant.web import api, api_admin, routes_admin, routes_auth, routes_review, routes_tools
from consultant.web.rendering import STATIC_DIR, redirect, render
from consultant.web.security import CsrfFailure, NotSignedIn, add_security_headers
from consultant.web.signin import login_url, safe_next_path

log = logging.getLogger(__name__)

# Most specific first: the first matching class decides the status code.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (NotFound, 404),
    (TemplateCheckFailed, 422),
    (EmptyQuestion, 422),
    (TextTooLong, 422),
    (PermissionDenied, 403),
    (InvalidCredentials, 401),
    (TooManyAttempts, 429),
    (StaleVersion, 409),
    (TemplateConflict, 409),
    (ClaimedByOther, 409),
    (Superseded, 409),
    (InvalidTransition, 409),
    (ConsultantError, 400),
]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, status_code: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    return render(request, "error.html", None, status_code, message=message)


async def _not_signed_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotSignedIn)
    if _is_api(request):
        return JSONResponse({"detail": "not signed in"}, status_code=401)
    # A page requested with GET opens again after sign-in. A form post is not repeated,
    # so its route decides where to return.
    next_path = None
    if request.method == "GET":
        query = request.url.query
        next_path = safe_next_path(request.url.path + (f"?{query}" if query else ""))
    return redirect(login_url(next_path, session_ended=error.session_ended))


async def _csrf_failure(request: Request, _error: Exception) -> Response:
    log.warning("CSRF check failed on %s %s", request.method, request.url.path)
    return _error_response(request, 403, "the form expired or did not come from this site; "
                                         "reload the page and try again")


async def _consultant_error(request: Request, error: Exception) -> Response:
    status_code = next(code for kind, code in STATUS_BY_ERROR if isinstance(error, kind))
    log.info("request failed with %d: %s", status_code, type(error).__name__)
    return _error_response(request, status_code, str(error))


# The reason given for a field error of these pydantic types, filled in from its context.
# Other types give pydantic's own message.
_FIELD_ERROR_REASONS = {
    "missing": "missing",
    "string_too_long": "at most {max_length} characters",
    "string_too_short": "at least {min_length} characters",
    "too_long": "at most {max_length} items",
    "too_short": "at least {min_length} items",
    "less_than_equal": "at most {le}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "greater_than": "more than {gt}",
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "string_type": "not a string",
}


def _field_error(item: Mapping[str, Any]) -> str:
    """Format one pydantic error as its location and reason.

    For example "body.question: at most 20000 characters".
    """
    location = ".".join(str(part) for part in item["loc"])
    reason = _FIELD_ERROR_REASONS.get(item["type"])
    if reason is None:
        message = str(item["msg"])
        reason = message[:1].lower() + message[1:]
    else:
        reason = reason.format(**item.get("ctx", {}))
    return f"{location}: {reason}"


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = "; ".join(_field_error(item) for item in error.errors())
    return _error_response(request, 422, f"invalid or missing fields: {problems}")


def create_app() -> FastAPI:
    """Build the application; the database and settings are read per request."""
    app = FastAPI(
        title="CaseConsultant reviewer API",
        version="1",
        # The bundled interactive docs load scripts from a CDN, which the CSP forbids.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.middleware("http")(add_security_headers)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(CsrfFailure, _csrf_failure)
    app.add_exception_handler(ConsultantError, _consultant_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(routes_auth.router)
    app.include_router(routes_review.router)
    app.include_router(routes_tools.router)
    app.include_router(routes_admin.router)
    app.include_router(api.router)
    app.include_router(api_admin.router)
    app.add_api_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    return app


def _metrics() -> Response:
    """Serve the Prometheus metrics: counts and ages only, no mail content, no sign-in."""
    status_code, headers, body = metrics_response()
    content_type = dict(headers)["Content-Type"]
    return Response(body, status_code=status_code, media_type=content_type)
