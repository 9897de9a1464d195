"""gunicorn's gevent worker, made safe against slow clients (``gunicorn.conf.py`` uses it).

A sync worker serves one connection at a time, reading its request as slowly as the client
sends it: two idle connections stopped a two-worker service. Here each connection is a
greenlet, so a client that trickles or idles holds only its own, and every read is bounded:

- the request line and headers must arrive within ``keepalive`` seconds (gunicorn's own
  limit for the gevent worker, on every request of a connection), or the connection is
  dropped;
- the body is read by the worker before the application sees it (as nginx buffers it),
  within ``SCALE_REQUEST_BODY_TIMEOUT`` seconds (10 by default), or the client is answered
  408 and the connection closed. A body announced larger than Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE is left unread: the application answers 413 from its
  Content-Length, and the connection is closed rather than drained.

A connection serves at most ``KEEPALIVE_REQUESTS`` requests, then is closed: every
gevent worker accepts on the shared socket, and a keep-alive client stays with the worker
that accepted it. Without the limit, the clients that reconnected while one worker was
being replaced (max_requests) all stayed on the others, and a worker sat idle for good.

psycopg2 is made cooperative (psycogreen), so a greenlet waiting for PostgreSQL lets the
others run; the settings then take connections from a pool (``scale.postgres.pooled``).
"""

from __future__ import annotations

import io
import os

import gevent
from gunicorn.http.body import Body
from gunicorn.workers.ggevent import GeventWorker

from scale.gunicorn_errors import write_error

_DEFAULT_BODY_TIMEOUT = 10.0
KEEPALIVE_REQUESTS = 100


def body_timeout() -> float:
    raw = os.environ.get("SCALE_REQUEST_BODY_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else _DEFAULT_BODY_TIMEOUT
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SystemExit(f"SCALE_REQUEST_BODY_TIMEOUT must be a number of seconds above 0, "
                         f"not {raw!r}")
    return value


class BodyTimeout(Exception):
    pass


class Worker(GeventWorker):
    def patch(self) -> None:
        super().patch()
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()

    def init_process(self) -> None:
        self.body_timeout = body_timeout()
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if req.req_number >= KEEPALIVE_REQUESTS:
            req.must_close = True
        announced = _content_length(req)
        if announced is not None and limit is not None and announced > limit:
            req.must_close = True  # the application refuses it unread: do not drain it
        elif req.body is not None:
            try:
                with gevent.Timeout(self.body_timeout, BodyTimeout):
                    data = req.body.read(limit + 1 if limit is not None else None)
            except BodyTimeout:
                write_error(sock, 408, "Request Timeout",
                            f"the request body did not arrive within {self.body_timeout:g} s")
                raise StopIteration() from None
            if limit is not None and len(data) > limit:
                req.must_close = True  # a chunked body over the limit: its rest is unread
            req.body = Body(io.BytesIO(data))
        return super().handle_request(listener_name, req, sock, addr)


def _content_length(req) -> int | None:
    for name, value in req.headers:
        if name == "CONTENT-LENGTH":
            try:
                return int(value)
            except ValueError:
                return None
    return None
