"""gunicorn's own error responses as one line of ``text/plain``, like the API's errors.

gunicorn answers some requests before Django sees them — a request line longer than
``limit_request_line`` (414), headers too large (431), a malformed request (400) — with a
small HTML page. ``gunicorn.conf.py`` installs ``write_error`` below in its place, so that
no API URL ever answers with HTML and the OpenAPI schema can say what such an answer is.
"""

from __future__ import annotations

import socket

from gunicorn import util


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error``'s signature; the body is ``reason: mesg`` on one line."""
    line = " ".join(f"{reason}: {mesg}".split()) if mesg else reason
    body = (line + "\n").encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    ).encode("latin-1", "replace")
    util.write_nonblock(sock, head + body)


def install() -> None:
    """Replace gunicorn's HTML error writer (looked up at call time by its workers)."""
    util.write_error = write_error
