"""The embedded PostgreSQL server used when ``DATABASE_URL`` is unset.

The server comes from the ``pgserver`` package (a PostgreSQL build shipped on PyPI), lives
under ``var/pgdata`` and is shared by every process of the project: the web server, its
workers, ``manage.py`` commands and test runs. ``pgserver`` serialises start-up with an
inter-process file lock and reuses a server that is already running, so concurrent
processes never start two servers on one data directory. The server is left running when
a process exits (another may still use it); ``make stop-db`` stops it.

Commits are durable: ``synchronous_commit``, ``fsync`` and ``full_page_writes`` keep
PostgreSQL's defaults (on), so a cancel that was answered 200 survives a crash of the
server. A start after a crash replays the WAL written since the last checkpoint; that can
take longer than pgserver's own 10 s wait, so ``_start`` waits for the server itself, as
long as ``SCALE_EMBEDDED_START_TIMEOUT`` seconds (default 600).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_socket_dirs: dict[Path, str] = {}
_databases: set[tuple[Path, str]] = set()
# The advisory lock key that serialises database creation across processes (any constant
# bigint that nothing else in this cluster uses).
_CREATE_DATABASE_LOCK = 0x5CA1E_DB

# Settings that suit a local server holding a few million jobs on a small machine; none
# needs a restart, and none trades durability for speed:
# - random_page_cost: the data directory is on an SSD, where a random read costs about
#   what a sequential one does, so PostgreSQL should prefer the indexes;
# - effective_cache_size: the operating system's page cache that PostgreSQL may count on;
# - work_mem: sorts and hashes of the list queries and the counts stay in memory;
# - maintenance_work_mem: index builds and foreign-key checks of generate_demo_data;
# - max_wal_size, checkpoint_timeout: fewer checkpoints while millions of rows are
#   loaded; the price is a longer crash recovery, which _start waits for.
# They are applied on every start (ALTER SYSTEM, then a reload), so a data directory
# made by an older version loses what that version set and these no longer say:
# synchronous_commit=off, above all, which lost acknowledged commits in a crash.
_SERVER_SETTINGS = {
    "random_page_cost": "1.1",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
}
# Left to PostgreSQL's durable defaults, whatever an older postgresql.auto.conf said.
_DURABLE_DEFAULTS = ("synchronous_commit", "fsync", "full_page_writes")
_START_TIMEOUT_VARIABLE = "SCALE_EMBEDDED_START_TIMEOUT"
_DEFAULT_START_TIMEOUT = 600.0


class EmbeddedServerUnavailable(ImproperlyConfigured):
    """The embedded server could not be started (or did not become ready in time)."""


def ensure_server(
    *, pgdata: Path, database: str | None, before_start: Callable[[], None] | None = None
) -> str:
    """Start the embedded server if needed, create ``database`` on it, return its socket dir.

    ``database`` is None for Django's maintenance connections (which use ``postgres``).
    Idempotent and cheap after the first call in a process. ``before_start`` is called
    before the first start of this process, and may refuse it by raising.
    """
    pgdata = pgdata.resolve()
    with _lock:
        if pgdata not in _socket_dirs:
            if before_start is not None:
                before_start()
            socket_dir = _start(pgdata)
            _apply_settings(socket_dir)
            _socket_dirs[pgdata] = socket_dir
        socket_dir = _socket_dirs[pgdata]
        if database is not None and (pgdata, database) not in _databases:
            _create_database(socket_dir=socket_dir, database=database)
            _databases.add((pgdata, database))
        return socket_dir


def start_timeout() -> float:
    """How long a start may wait for the server to be ready (crash recovery included)."""
    raw = os.environ.get(_START_TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return _DEFAULT_START_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ImproperlyConfigured(
            f"{_START_TIMEOUT_VARIABLE} must be a number of seconds above 0, not {raw!r}"
        )
    return value


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
    if _postmaster_info(pgdata) is not None:
        # Started by another process and still recovering: pgserver would give up on it.
        return wait_until_ready(pgdata, timeout=start_timeout())
    _wait_until_reaped(pgdata)
    try:
        # The class rather than get_server(), which would hand back this process's handle
        # of a server that has died since, without starting it again.
        server = pgserver.PostgresServer(pgdata, cleanup_mode=None)
    except subprocess.TimeoutExpired:
        # pgserver stops waiting for pg_ctl after 10 s, but the postmaster it started goes
        # on replaying the WAL: wait for it to say it is ready.
        return wait_until_ready(pgdata, timeout=start_timeout())
    except Exception as exc:
        raise EmbeddedServerUnavailable(
            f"the embedded PostgreSQL in {pgdata} did not start: {exc} (see {pgdata / 'log'})"
        ) from exc
    return str(server.get_postmaster_info().socket_dir)


def _postmaster_info(pgdata: Path):
    """pgserver's view of ``postmaster.pid`` when a postmaster process runs, else None."""
    import psutil
    from pgserver.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        # A killed postmaster stays a zombie until its parent (often init) reaps it.
        if info is None or not info.is_running() or info.process.status() == psutil.STATUS_ZOMBIE:
            return None
    except (AssertionError, ValueError, OSError, psutil.Error):
        return None  # the postmaster is still writing the file, or has just gone
    return info


def _wait_until_reaped(pgdata: Path, timeout: float = 30) -> None:
    """Wait while the postmaster of ``pgdata`` is a zombie: until its parent reaps it, its
    pid still exists, and both pgserver and PostgreSQL take it for a running server."""
    import psutil

    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return
        except psutil.Error:
            return
        time.sleep(0.1)


def running_socket_dir(pgdata: Path) -> str | None:
    """The socket directory of the server running and ready on ``pgdata``, else None."""
    info = _postmaster_info(pgdata)
    if info is None or info.status != "ready":
        return None
    return str(info.socket_dir)


def wait_until_ready(pgdata: Path, *, timeout: float) -> str:
    """Wait for the postmaster of ``pgdata`` to be ready; its socket directory."""
    deadline = time.monotonic() + timeout
    while True:
        socket_dir = running_socket_dir(pgdata)
        if socket_dir is not None:
            return socket_dir
        if _postmaster_info(pgdata) is None:
            # It was shutting down, not starting, or it died while starting.
            raise EmbeddedServerUnavailable(
                f"the embedded PostgreSQL in {pgdata} stopped instead of becoming ready"
            )
        if time.monotonic() > deadline:
            raise EmbeddedServerUnavailable(
                f"the embedded PostgreSQL in {pgdata} was not ready after {timeout:.0f} s "
                f"(see {pgdata / 'log'}; {_START_TIMEOUT_VARIABLE} sets the wait)"
            )
        time.sleep(0.2)


def restart_server(*, pgdata: Path) -> str:
    """Start the server of ``pgdata`` again after it died; its socket directory.

    For a supervisor (``manage.py serve``): unlike ``ensure_server``, nothing is cached,
    so it can be called whenever the server is found dead.
    """
    pgdata = pgdata.resolve()
    deadline = time.monotonic() + start_timeout()
    while True:
        try:
            socket_dir = running_socket_dir(pgdata) or _start(pgdata)
            break
        except EmbeddedServerUnavailable:
            # The old server's backends may still hold its shared memory for a moment;
            # PostgreSQL refuses to start until they have gone.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    _apply_settings(socket_dir)
    return socket_dir


def _apply_settings(socket_dir: str) -> None:
    """Bring the server's settings to ``_SERVER_SETTINGS`` and the durable defaults.

    Writes (ALTER SYSTEM, then a reload) only what differs, so that the many processes
    that connect for the first time do not all rewrite postgresql.auto.conf.
    """
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT name, setting, unit, boot_val FROM pg_settings WHERE name = ANY(%s)",
                [[*_SERVER_SETTINGS, *_DURABLE_DEFAULTS]],
            )
            current = {name: (setting, unit, boot) for name, setting, unit, boot in cursor}
            changed = False
            for name in _DURABLE_DEFAULTS:
                setting, _unit, boot = current[name]
                if setting != boot:
                    cursor.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
                    changed = True
            for name, value in _SERVER_SETTINGS.items():
                cursor.execute("SELECT current_setting(%s) = %s", [name, value])
                if not cursor.fetchone()[0]:
                    cursor.execute(
                        sql.SQL("ALTER SYSTEM SET {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
                    changed = True
            if changed:
                cursor.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


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
    # The shutdown checkpoint writes what a crash recovery would otherwise replay (up to
    # max_wal_size of changes, after a big load): it may wait as long as a start may, not
    # pg_ctl's default 60 s, which a stop during a busy test run once exceeded.
    pg_ctl(["-w", "-t", str(round(start_timeout())), "-m", "fast", "stop"], pgdata=pgdata,
           user=user)
    return f"stopped the embedded PostgreSQL in {pgdata}"
