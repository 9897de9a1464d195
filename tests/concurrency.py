"""Another transaction, really concurrent: on its own thread and database session."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def held_open(write: Callable[[], object], *, timeout: float = 10) -> Iterator[None]:
    """Run ``write`` in a transaction on another thread's session and keep that
    transaction open, its locks held, until the block ends; then let it commit. Whatever
    the thread raised fails the test."""
    written, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                write()
                written.set()
                release.wait(timeout)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()
            written.set()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert written.wait(timeout)
        assert not failures, failures
        yield
    finally:
        release.set()
        holder.join(timeout)
    assert not failures, failures


def set_lock_timeout(value: str) -> None:
    """How long the current transaction's statements wait for a lock (``'2s'``)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = %s", [value])
