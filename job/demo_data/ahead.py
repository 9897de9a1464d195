"""Where the rows are generated: here for a single batch, else in a child process ahead.

Generating a batch (pure Python, some 150 µs a job) costs about what PostgreSQL's COPY
of it does, so a load of many batches runs the two side by side: a child process holds
the one ``RowGenerator`` and makes batch n+1 while the loader copies batch n. A thread
would not do: it shares the interpreter's lock with the loader's own Python work, and
the two took turns on one core. The stream stays one stream, in one process, so the rows
are those of an in-process run. The child is spawned (a fresh interpreter that touches
no database connection) and only generates text; the loader keeps every transaction.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

import django

from job.demo_data.batch import Batch
from job.demo_data.catalogue import Catalogue
from job.demo_data.rows import RowGenerator


class Rows:
    """Batches from one ``RowGenerator``, in this process."""

    def __init__(self, *, catalogue: Catalogue, seed: int, now_ms: int, total_jobs: int) -> None:
        self._generator = RowGenerator(
            catalogue=catalogue, seed=seed, now_ms=now_ms, total_jobs=total_jobs
        )

    def submit(self, *, first_ids: dict[str, int], min_jobs: int) -> Future[Batch]:
        done: Future[Batch] = Future()
        done.set_result(self._generator.batch(first_ids=first_ids, min_jobs=min_jobs))
        return done

    def restore(self, state: tuple) -> None:
        """Rewind to a batch's start, to make it again with other ids."""
        self._generator.restore(state)

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass


class RowsAhead(Rows):
    """Batches from one ``RowGenerator`` in a child process, made while the caller works."""

    def __init__(self, *, catalogue: Catalogue, seed: int, now_ms: int, total_jobs: int) -> None:
        # One worker: every call runs in the same child, on the one generator, in order.
        # It sets Django up (the settings module is the parent's, from the environment)
        # before the first call brings the catalogue, whose classes need the models.
        self._child = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=django.setup,
        )
        self._child.submit(_start, catalogue, seed, now_ms, total_jobs).result()

    def submit(self, *, first_ids: dict[str, int], min_jobs: int) -> Future[Batch]:
        return self._child.submit(_batch, first_ids, min_jobs)

    def restore(self, state: tuple) -> None:
        self._child.submit(_restore, state).result()

    def close(self) -> None:
        self._child.shutdown(cancel_futures=True)


# -- in the child -------------------------------------------------------------------------

_generator: RowGenerator | None = None


def _start(catalogue: Catalogue, seed: int, now_ms: int, total_jobs: int) -> None:
    global _generator
    _generator = RowGenerator(
        catalogue=catalogue, seed=seed, now_ms=now_ms, total_jobs=total_jobs
    )


def _batch(first_ids: dict[str, int], min_jobs: int) -> Batch:
    return _generator.batch(first_ids=first_ids, min_jobs=min_jobs)


def _restore(state: tuple) -> None:
    _generator.restore(state)
