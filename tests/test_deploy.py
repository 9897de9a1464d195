"""Production settings: ``check --deploy`` is clean with the environment README.md
documents, and gunicorn.conf.py serves the app with them (HTTPS redirect, HSTS, the
health probe over plain http, gunicorn's own errors as text)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def production_environment() -> dict[str, str]:
    """The ``export DJANGO_...=...`` lines of README.md's production block, with a real
    secret key in place of the placeholder."""
    readme = (BASE_DIR / "README.md").read_text()
    block = readme.split("<!-- production-env -->")[1]
    exports = dict(re.findall(r"^export (DJANGO_\w+)=(.*)$", block, flags=re.MULTILINE))
    assert {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS",
            "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS"} <= set(exports)
    exports["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    return exports


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SCALE_"))}
    env.update(extra)
    return env


def test_check_deploy_reports_nothing_with_the_documented_production_environment():
    env = clean_environment(**production_environment())
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_complains_with_the_local_defaults():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR, env=clean_environment(), capture_output=True, text=True, timeout=120,
    )
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012",
                    "security.W016"):
        assert warning in result.stdout + result.stderr, warning


def test_local_defaults_serve_plain_http():
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SECURE_HSTS_SECONDS == 0
    assert settings.SESSION_COOKIE_SECURE is False
    assert settings.CSRF_COOKIE_SECURE is False


def test_a_malformed_hsts_value_stops_with_a_one_line_message():
    env = clean_environment(DJANGO_SECURE_HSTS_SECONDS="a year")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECURE_HSTS_SECONDS must be a whole number of at least 0, not 'a year'" in (
        result.stderr
    )


def _database_url() -> str:
    params = connection.get_connection_params()
    host = quote(str(params.get("host") or ""), safe="")
    password = quote(str(params.get("password") or ""), safe="")
    user = quote(str(params.get("user") or ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgres://{credentials}{host}{port}/{params['dbname']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, **headers: str):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    with response:
        return response.status, response.headers, response.read()


@pytest.fixture
def production_gunicorn(django_db_setup, django_db_blocker):
    """gunicorn -c gunicorn.conf.py on the test database with the production environment."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    port = _free_port()
    env = clean_environment(
        **production_environment(),
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESS_LOG="/dev/null",
    )
    env["DJANGO_ALLOWED_HOSTS"] = "jobs.example.com"
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
                if _get(f"{base}/health/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /health/"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_gunicorn_serves_the_app_with_the_production_settings(production_gunicorn):
    base = production_gunicorn
    # The load balancer's probe: plain http, by address.
    status, headers, body = _get(f"{base}/health/")
    assert (status, body) == (200, b'{"status": "ok", "database": "ok"}')
    # Plain http is redirected to https.
    status, headers, _ = _get(f"{base}/jobs/", Host="jobs.example.com")
    assert status == 301
    assert headers["Location"] == "https://jobs.example.com/jobs/"
    # Behind the TLS proxy: served, with HSTS.
    status, headers, body = _get(
        f"{base}/jobs/", Host="jobs.example.com", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 200, body
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert body.startswith(b'{"count":')
    # The documentation's assets, with DEBUG off and no collectstatic.
    status, _, body = _get(
        f"{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        Host="jobs.example.com", **{"X-Forwarded-Proto": "https"},
    )
    assert status == 200 and len(body) > 100_000
    # An unknown host is refused.
    status, _, body = _get(f"{base}/jobs/", Host="evil.example.com",
                           **{"X-Forwarded-Proto": "https"})
    assert (status, body) == (400, b"Bad request.\n")


def test_gunicorn_answers_an_overlong_request_line_with_one_line_of_text(production_gunicorn):
    query = "&".join(f"job_id={n}" for n in range(1, 2000))
    status, headers, body = _get(f"{production_gunicorn}/jobs/?{query}")
    assert status == 414
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.startswith(b"URI Too Long: ") and body.count(b"\n") == 1
