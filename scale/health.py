"""``/health/`` for load balancers: 200 when the database answers, 503 when it does not.

It is answered by a middleware placed first, before Django validates the Host header and
before the HTTPS redirect: a load balancer probes each instance by its address over plain
http, and must not get a 400 or a 301 for it. No authentication, no session, one query.
The body is JSON (``{"status": "ok"}``); the API schema leaves it out, README documents it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/health/"


def database_answers() -> bool:
    """Whether the default database answers ``SELECT 1`` now."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except (DatabaseError, ImproperlyConfigured, OSError) as exc:
        # One line, no traceback: a probe every few seconds must not flood the log.
        logger.warning("health check: the database does not answer: %s", str(exc).strip())
        return False


def health(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(
            f"{request.method} is not allowed on {HEALTH_PATH}; use GET or HEAD.\n",
            status=405,
            content_type="text/plain; charset=utf-8",
        )
        response["Allow"] = "GET, HEAD"
        return response
    if database_answers():
        response = JsonResponse({"status": "ok", "database": "ok"})
    else:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if request.method == "HEAD":
        response.content = b""
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers ``/health/`` itself; every other request goes on down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
