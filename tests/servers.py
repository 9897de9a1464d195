"""gunicorn, started as production starts it, on the test database: for tests that need
real HTTP (gunicorn's own handling of the request, then the real URL routing)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPMessage
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def clean_environment(**extra: str) -> dict[str, str]:
    """This process' environment without the service's own variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SCALE_"))}
    env.update(extra)
    return env


def database_url() -> str:
    """The test database as a ``DATABASE_URL``."""
    params = connection.get_connection_params()
    host = quote(str(params.get("host") or ""), safe="")
    password = quote(str(params.get("password") or ""), safe="")
    user = quote(str(params.get("user") or ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgres://{credentials}{host}{port}/{params['dbname']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_request(
    url: str, *, method: str = "GET", data: bytes | None = None,
    opener: urllib.request.OpenerDirector | None = None, **headers: str,
) -> tuple[int, HTTPMessage, bytes]:
    """``(status, headers, body)`` of one request; redirects are answered, not followed."""
    opener = opener or urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        response = opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    with response:
        return response.status, response.headers, response.read()


def no_redirect_opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect, *handlers)


@contextmanager
def gunicorn(env: dict[str, str], *, probe: str = "/health/") -> Iterator[str]:
    """``gunicorn -c gunicorn.conf.py`` with ``env`` (plus HOST, PORT, one worker) until
    ``probe`` answers 200; yields its base URL and stops it afterwards."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "GUNICORN_ACCESS_LOG": "/dev/null"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                if http_request(f"{base}{probe}")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer {probe}"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
