"""Another transaction, really concurrent: on its own thread and database session."""

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from job.models import Job


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


@contextmanager
def swapping_statuses(
    ids: list[int], *, moved: str, fold: Callable[[], object], writers: int = 3
) -> Iterator[list[int]]:
    """While the block runs, ``writers`` threads each swap the statuses of two of the jobs
    ``ids`` in one transaction, setting both's ``moved`` column to now, and one more
    thread calls ``fold`` every 10 ms, each on its own session. The number of jobs per
    status never changes. Yields the list of swaps done (one item each); whatever a
    thread raised fails the test."""
    done = threading.Event()
    failures: list[BaseException] = []
    swaps: list[int] = []

    def run(step: Callable[[], object]) -> None:
        try:
            while not done.is_set():
                step()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    def swap(rng: random.Random) -> None:
        with transaction.atomic():
            a, b = Job.objects.select_for_update().filter(
                pk__in=rng.sample(ids, 2)).order_by("id")
            if a.status == b.status:
                return
            now = timezone.now()
            Job.objects.filter(pk=a.pk).update(status=b.status, **{moved: now})
            Job.objects.filter(pk=b.pk).update(status=a.status, **{moved: now})
        swaps.append(1)

    def folding() -> None:
        fold()
        time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(partial(swap, random.Random(n)),))
               for n in range(writers)]
    threads.append(threading.Thread(target=run, args=(folding,)))
    for thread in threads:
        thread.start()
    try:
        yield swaps
    finally:
        done.set()
        for thread in threads:
            thread.join(10)
    assert not failures, failures
