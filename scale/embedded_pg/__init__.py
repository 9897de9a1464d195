"""The embedded PostgreSQL server used when ``DATABASE_URL`` is unset.

The server comes from the ``pgserver`` package (a PostgreSQL build shipped on PyPI), lives
under ``var/pgdata`` and is shared by every process of the project: the web server, its
workers, ``manage.py`` commands and test runs. ``pgserver`` serialises start-up with an
inter-process file lock and reuses a server that is already running, so concurrent
processes never start two servers on one data directory. The server is left running when
a process exits (another may still use it); ``make stop-db`` stops it.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_socket_dirs: dict[Path, str] = {}
_databases: set[tuple[Path, str]] = set()
# The advisory lock key that serialises database creation across processes (any constant
# bigint that nothing else in this cluster uses).
_CREATE_DATABASE_LOCK = 0x5CA1E_DB

# Settings that suit a local server holding a few million jobs on a small machine; they
# need no restart. ALTER SYSTEM writes them once into the data directory.
_SERVER_SETTINGS = {
    "random_page_cost": "1.1",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "synchronous_commit": "off",
}


def ensure_server(*, pgdata: Path, database: str | None) -> str:
    """Start the embedded server if needed, create ``database`` on it, return its socket dir.

    ``database`` is None for Django's maintenance connections (which use ``postgres``).
    Idempotent and cheap after the first call in a process.
    """
    pgdata = pgdata.resolve()
    with _lock:
        if pgdata not in _socket_dirs:
            _socket_dirs[pgdata] = _start(pgdata)
        socket_dir = _socket_dirs[pgdata]
        if database is not None and (pgdata, database) not in _databases:
            _create_database(socket_dir=socket_dir, database=database)
            _databases.add((pgdata, database))
        return socket_dir


def _start(pgdata: Path) -> str:
    # platformdirs warns on every import when XDG_RUNTIME_DIR is unset (containers, CI);
    # pgserver then falls back to /tmp, which is what we want.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise ImproperlyConfigured(
            "DATABASE_URL is unset and the pgserver package is not installed: "
            "run `make run` or set DATABASE_URL"
        ) from exc
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"the embedded PostgreSQL in {pgdata} did not start: {exc} (see {pgdata / 'log'})"
        ) from exc
    return str(server.get_postmaster_info().socket_dir)


def _create_database(*, socket_dir: str, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            # Processes that connect for the first time at once (gunicorn's workers, parallel
            # commands) would all see the database missing, and PostgreSQL would refuse every
            # CREATE DATABASE but one with a unique violation. They take turns instead; the
            # lock is the session's and ends with the connection.
            cursor.execute("SELECT pg_advisory_lock(%s)", [_CREATE_DATABASE_LOCK])
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                for name, value in _SERVER_SETTINGS.items():
                    cursor.execute(
                        sql.SQL("ALTER SYSTEM SET {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
                cursor.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def stop_server(*, pgdata: Path) -> str:
    """Stop the embedded server of ``pgdata`` if it runs (``make stop-db``); say what happened."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # as in _start
    from pgserver._commands import pg_ctl

    if not (pgdata / "postmaster.pid").exists():
        return f"no embedded PostgreSQL runs in {pgdata}"
    # The server runs as the unprivileged "pgserver" user when we are root (pgserver's rule).
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return f"stopped the embedded PostgreSQL in {pgdata}"
