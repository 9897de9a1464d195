"""Production settings: ``check --deploy`` is clean with the environment README.md
documents, and gunicorn.conf.py serves the app with them (HTTPS redirect, HSTS, the
health probe over plain http, gunicorn's own errors as text)."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.servers import BASE_DIR, clean_environment, database_url, gunicorn, http_request


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


@pytest.fixture
def production_gunicorn(django_db_setup, django_db_blocker):
    """gunicorn -c gunicorn.conf.py on the test database with the production environment.

    Its tests are marked ``django_db``: pytest-django makes the test database only for the
    tests that ask for one, and run alone these would otherwise serve the development
    database (``scale``), empty or not."""
    with django_db_blocker.unblock():
        env = clean_environment(**production_environment(), DATABASE_URL=database_url())
    env["DJANGO_ALLOWED_HOSTS"] = "jobs.example.com"
    with gunicorn(env) as base:
        yield base


@pytest.mark.django_db
def test_gunicorn_serves_the_app_with_the_production_settings(production_gunicorn):
    base = production_gunicorn
    # The load balancer's probe: plain http, by address.
    status, headers, body = http_request(f"{base}/health/")
    assert (status, body) == (200, b'{"status": "ok", "database": "ok"}')
    # Plain http is redirected to https.
    status, headers, _ = http_request(f"{base}/jobs/", Host="jobs.example.com")
    assert status == 301
    assert headers["Location"] == "https://jobs.example.com/jobs/"
    # Behind the TLS proxy: served, with HSTS.
    status, headers, body = http_request(
        f"{base}/jobs/", Host="jobs.example.com", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 200, body
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert body.startswith(b'{"count":')
    # The documentation's assets, with DEBUG off and no collectstatic.
    status, _, body = http_request(
        f"{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        Host="jobs.example.com", **{"X-Forwarded-Proto": "https"},
    )
    assert status == 200 and len(body) > 100_000
    # An unknown host is refused.
    status, _, body = http_request(f"{base}/jobs/", Host="evil.example.com",
                           **{"X-Forwarded-Proto": "https"})
    assert (status, body) == (400, b"Bad request.\n")


@pytest.mark.django_db
def test_gunicorn_answers_an_overlong_request_line_with_one_line_of_text(production_gunicorn):
    query = "&".join(f"job_id={n}" for n in range(1, 2000))
    status, headers, body = http_request(f"{production_gunicorn}/jobs/?{query}")
    assert status == 414
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.startswith(b"URI Too Long: ") and body.count(b"\n") == 1
