"""The refusal to serve a public host on the published development key.

Used by the settings (every process) and by gunicorn.conf.py (so that gunicorn's master
stops with the message before it starts workers that would all fail).
"""

from __future__ import annotations

from collections.abc import Mapping

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1", "testserver"})


def missing_secret_key(environ: Mapping[str, str], *, debug: bool, allowed_hosts: list[str]):
    """The one-line message when the service must not start without DJANGO_SECRET_KEY."""
    if debug or environ.get("DJANGO_SECRET_KEY", "").strip():
        return None
    public = [host for host in allowed_hosts if host.lower() not in LOCAL_HOSTS]
    if not public:
        return None
    return (
        f"DJANGO_SECRET_KEY must be set: DJANGO_ALLOWED_HOSTS names {', '.join(public)} with "
        "DJANGO_DEBUG off, and the default key is published"
    )
