"""``scale.postgres`` with a pool of PostgreSQL sessions per process, for gevent workers.

Under gevent every greenlet has Django connections of its own, and a greenlet lives for
one client connection: without a pool each would open (and prepare statements on) a new
PostgreSQL session, and a burst of clients would open as many sessions as there are
clients. The pool keeps at most ``MAX_CONNS`` (``SCALE_DB_POOL_SIZE``) sessions per
process, hands them from request to request (Django "closes" its connection after each
request, with CONN_MAX_AGE 0: that returns it), and makes extra requests wait for one.

Django's own pool needs psycopg 3; this project is on psycopg2. The pool only decides
which psycopg2 connection a DatabaseWrapper gets: connecting, its set-up and closing stay
Django's.
"""

from __future__ import annotations

import threading
import time

from django.db.backends.postgresql import base as postgresql
from psycopg2 import extensions

from scale.postgres.base import OutageAwareMixin

# A session idle for longer is checked (SELECT 1) before it is handed out: the server may
# have been restarted since.
_CHECK_AFTER_IDLE = 1.0
# How long a request waits for a session before it is answered 503.
_ACQUIRE_TIMEOUT = 30.0


class SessionPool:
    """At most ``size`` psycopg2 sessions, the most recently used handed out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.slots = threading.BoundedSemaphore(size)
        self.lock = threading.Lock()
        self.idle: list[tuple[extensions.connection, float]] = []

    def acquire(self, connect, error_class: type[Exception]):
        if not self.slots.acquire(timeout=_ACQUIRE_TIMEOUT):
            raise error_class(
                f"all {self.size} database sessions of this process stayed busy for "
                f"{_ACQUIRE_TIMEOUT:.0f} s"
            )
        try:
            while True:
                with self.lock:
                    if not self.idle:
                        break
                    conn, since = self.idle.pop()
                if self._usable(conn, idle=time.monotonic() - since):
                    return conn
                conn.close()
            return connect()
        except BaseException:
            self.slots.release()
            raise

    def release(self, conn) -> None:
        try:
            if conn.closed:
                # Lost (the server went away): the idle ones most likely are too.
                self.discard_idle()
                return
            if conn.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE:
                try:
                    conn.rollback()
                except extensions.Error:
                    conn.close()
                    return
            with self.lock:
                self.idle.append((conn, time.monotonic()))
        finally:
            self.slots.release()

    def discard_idle(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn, _ in idle:
            conn.close()

    @staticmethod
    def _usable(conn, *, idle: float) -> bool:
        if conn.closed:
            return False
        if idle < _CHECK_AFTER_IDLE:
            return True
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except extensions.Error:
            return False


_pools: dict[str, SessionPool] = {}
_pools_lock = threading.Lock()


class PooledMixin:
    def _session_pool(self) -> SessionPool:
        with _pools_lock:
            pool = _pools.get(self.alias)
            if pool is None:
                size = self.settings_dict["OPTIONS"]["MAX_CONNS"]
                pool = _pools[self.alias] = SessionPool(size)
            return pool

    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        params.pop("MAX_CONNS", None)  # the pool's, not libpq's
        return params

    def get_new_connection(self, conn_params: dict):
        return self._session_pool().acquire(
            lambda: super(PooledMixin, self).get_new_connection(conn_params),
            self.Database.OperationalError,
        )

    def _close(self) -> None:
        if self.connection is not None:
            self._session_pool().release(self.connection)


class DatabaseWrapper(OutageAwareMixin, PooledMixin, postgresql.DatabaseWrapper):
    pass
