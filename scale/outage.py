"""A database outage, as the web service lives through it.

While PostgreSQL cannot be reached, every request that needs it answers 503 with
``Retry-After``, one line in the API's error format, and the outage is logged twice per
process: at its first 503 and when the database answers again, never once per request. Connection
attempts back off: after a failed one, the next is allowed only after a delay that doubles
from ``_FIRST_DELAY`` to ``_MAX_DELAY``; requests in between are refused at once, without
touching the network, and ``Retry-After`` says how long until the next attempt.

The state is per process (each gunicorn worker has its own), guarded by a lock (a
greenlet lock under gevent, whose monkey patching replaces ``threading``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("scale.outage")

_FIRST_DELAY = 0.25
_MAX_DELAY = 4.0


class _Outage:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: float | None = None  # monotonic time of the first failure
        self.refused = 0  # requests answered 503 during this outage
        self.cause = ""  # the first line of the error that started it
        self.delay = 0.0
        self.next_attempt = 0.0


_state = _Outage()


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (rather than a bad query).

    A lost or refused connection is an OperationalError or InterfaceError after which
    the connection is gone, or one the server never answered: a failure of the connection
    itself carries no SQLSTATE. The server's own errors on a live connection (a deadlock,
    a statement timeout) have one, and are not an outage. A query sent as the server died
    fails with "server closed the connection unexpectedly" before libpq marks the
    connection closed.
    """
    from scale.embedded_pg import EmbeddedServerUnavailable

    if isinstance(exc, EmbeddedServerUnavailable):
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    raw = connection.connection
    if raw is None or bool(getattr(raw, "closed", True)):
        return True
    # Django's error wraps the driver's, which says where the error came from.
    return getattr(exc.__cause__ or exc, "sqlstate", None) is None


def failed(exc: BaseException) -> None:
    """Record a failure to reach the database: an outage starts, or goes on backing off."""
    now = time.monotonic()
    with _state.lock:
        if _state.started is None:
            _state.started = now
            _state.refused = 0
            _state.cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _state.delay = min(_MAX_DELAY, _state.delay * 2 if _state.delay else _FIRST_DELAY)
        _state.next_attempt = now + _state.delay


def succeeded() -> None:
    """Record a connection made; ends an outage (logged) and its backoff."""
    with _state.lock:
        if _state.started is None:
            return
        if _state.refused:
            logger.warning(
                "database reachable again after %.1f s; %d requests were answered 503",
                time.monotonic() - _state.started, _state.refused,
            )
        _state.started = None
        _state.delay = 0.0
        _state.next_attempt = 0.0


def seconds_until_next_attempt() -> float:
    """0 when a connection may be tried now, else how long the backoff still holds."""
    with _state.lock:
        return max(0.0, _state.next_attempt - time.monotonic())


def unavailable_response(request: HttpRequest | None, exc: BaseException) -> HttpResponse:
    """The 503 for a request that needed the unreachable database."""
    from scale.api.errors import error_response

    with _state.lock:
        in_outage = _state.started is not None
    if not in_outage:  # lost on an open connection: no connection attempt saw it yet
        failed(exc)
    with _state.lock:
        if not _state.refused:
            # The outage's one line (a command that is refused says so itself).
            logger.error("database unreachable: %s; answering 503 until it is back",
                         _state.cause)
        _state.refused += 1
        wait = max(_state.next_attempt - time.monotonic(), _FIRST_DELAY)
    return error_response(
        request,
        "The database is unavailable; try again shortly.",
        503,
        headers={"Retry-After": str(math.ceil(wait)), "Cache-Control": "no-store"},
    )


class DatabaseUnavailableMiddleware:
    """Answers 503 for a view that raised because the database cannot be reached.

    DRF views get the same answer from ``scale.api.errors.exception_handler``; this covers
    the admin and Django's own views.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None


class DuringOutageFilter(logging.Filter):
    """Drops Django's per-request log records of the 503s of an outage (``django.request``
    logs every 5xx), which ``failed`` and ``succeeded`` summarise in two lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 503:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and is_database_unavailable(exc))
