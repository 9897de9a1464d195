"""Error bodies: one line naming what was wrong, as text/plain or, when asked, JSON.

The contract gives ``text/plain`` for errors; clients whose Accept header asks for JSON
get ``{"detail": "..."}`` instead. The same rendering serves DRF views (through
``exception_handler``) and Django's own 404/500 handlers, so no API URL ever answers with
an HTML page or a traceback.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.views import set_rollback

from scale import outage
from scale.exceptions import DomainError

logger = logging.getLogger(__name__)


def wants_json(request: HttpRequest | None) -> bool:
    if request is None:
        return False
    accept = request.META.get("HTTP_ACCEPT", "")
    return any(
        media.split(";")[0].strip().endswith(("/json", "+json")) for media in accept.split(",")
    )


def error_response(
    request: HttpRequest | None, message: str, status: int, headers: dict | None = None
) -> HttpResponse:
    message = " ".join(message.split())  # one line, whatever the message carried
    # A value echoed from a JSON body may be a lone surrogate ("\ud800"), which no
    # charset encodes: written as its escape, it still names the bad value.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    if wants_json(request):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        response = HttpResponse(
            message + "\n", status=status, content_type="text/plain; charset=utf-8"
        )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def flatten_detail(detail, prefix: str = "") -> list[str]:
    """DRF error details (dicts of lists, nested) as ``field: message`` strings."""
    if isinstance(detail, dict):
        messages: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            field = f"{prefix}.{name}" if prefix and name else (name or prefix)
            messages.extend(flatten_detail(value, field))
        return messages
    if isinstance(detail, list):
        return [message for item in detail for message in flatten_detail(item, prefix)]
    text = str(detail)
    return [f"{prefix}: {text}" if prefix else text]


def exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    request = context.get("request")
    if isinstance(exc, DomainError):
        set_rollback()
        return error_response(request, exc.message, exc.status_code)
    if isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ValidationError(
            f"too many query parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
            "values in all."
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        set_rollback()
        message = "; ".join(flatten_detail(exc.detail)) or exc.default_detail
        return error_response(request, message, exc.status_code, headers)
    if outage.is_database_unavailable(exc):
        return outage.unavailable_response(request, exc)
    too_big = too_big_response(request, exc)
    if too_big is not None:
        return too_big
    # Anything else is a bug: log it with its traceback, answer one line.
    logger.exception("Unhandled error in %s", context.get("view"))
    set_rollback()
    return error_response(request, "Internal server error; the error was logged.", 500)


def too_big_response(request: HttpRequest | None, exc: BaseException) -> HttpResponse | None:
    """413 for a body over Django's limits (DATA_UPLOAD_MAX_MEMORY_SIZE and the file
    count), which Django raises when the body is read; None for anything else. (Too many
    fields is a 400, in the exception handler: the query string counts too.)"""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is larger than {limit} bytes."
    elif isinstance(exc, TooManyFilesSent):
        message = "The request body has too many files."
    else:
        return None
    return error_response(request, message, 413)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, f"{request.path} was not found.", 404)


def handler500(request: HttpRequest) -> HttpResponse:
    # A middleware's query (a session saved on the way out) during an outage ends here.
    exc = sys.exc_info()[1]
    if exc is not None and outage.is_database_unavailable(exc):
        return outage.unavailable_response(request, exc)
    return error_response(request, "Internal server error; the error was logged.", 500)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Django answers a body over its limits, read by a middleware (CSRF), through here.
    if exception is not None:
        too_big = too_big_response(request, exception)
        if too_big is not None:
            return too_big
    return error_response(request, "Bad request.", 400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, "Permission denied.", 403)
