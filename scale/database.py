"""``DATABASES['default']`` from ``DATABASE_URL``, or the embedded server when it is unset."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def database_settings(
    *, url: str | None, var_dir: Path, test_name: str | None, pool_size: int | None = None
) -> dict:
    """Build the default connection's settings.

    ``url`` is ``DATABASE_URL`` (``postgres://user:pass@host:5432/scale``); a malformed
    one raises ``ImproperlyConfigured`` with a one-line message naming the problem.
    ``pool_size`` set (in gevent workers) selects the pooled variant of the backend, which
    keeps at most that many sessions per process.
    """
    if url:
        settings = _from_url(url)
        settings["ENGINE"] = "scale.postgres"
    else:
        settings = {
            "ENGINE": "scale.embedded_pg",
            "NAME": "scale",
            "USER": "postgres",
            "PGDATA": str(var_dir / "pgdata"),
        }
    options = settings.setdefault("OPTIONS", {})
    if pool_size:
        # The pool keeps the sessions; Django "closes" a connection after each request,
        # which hands it back to the pool.
        settings["ENGINE"] += ".pooled"
        settings["CONN_MAX_AGE"] = 0
        settings["CONN_HEALTH_CHECKS"] = False
        options["MAX_CONNS"] = pool_size
    else:
        # Persistent connections: a request should not pay for a new backend process.
        settings["CONN_MAX_AGE"] = 600
        settings["CONN_HEALTH_CHECKS"] = True
    if test_name:
        settings["TEST"] = {"NAME": test_name}
    return settings


def _from_url(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in _POSTGRES_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a PostgreSQL URL (postgres://user:pass@host:5432/name), "
            f"not scheme {scheme or '(none)'!r}"
        )
    try:
        settings = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
    if not settings.get("NAME"):
        raise ImproperlyConfigured(
            "DATABASE_URL names no database (postgres://user:pass@host:5432/name)"
        )
    return settings
