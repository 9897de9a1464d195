"""``manage.py scale_worker``: run queued jobs on this host.

A Procrastinate worker on the ``scale-jobs`` queue, in the database the service uses (the
embedded one, or ``DATABASE_URL``): any number of them, on any number of hosts, share the
queue through PostgreSQL alone. Beside it, a housekeeping thread registers this host as a
Node (with the CPUs, memory and disk it finds) and keeps it alive (the node is online
while a keep-alive is less than ``SCALE_NODE_ALIVE_SECONDS`` old), every 2 s fails the
RUNNING executions whose lease expired (their worker was killed, or lost the database;
``job_exes_fail_lost``), and every 5 s folds the counter ledgers (``scale.counters.fold_all``;
one worker at a time does) and the rows the completed executions appended to
``job_exe_day_time`` (``job_exe_day_time_fold``), which keep the reads that sum them short.

When the database goes away (a restart), Procrastinate's worker stops with an error; this
command starts it again every second until the database answers, while the executions
already running carry on (each renews its own lease, and is killed if it cannot for
``SCALE_LEASE_SECONDS`` - 2 s). SIGINT or SIGTERM stops it: running executions get 10 s to
finish, then are killed and failed as lost, so their jobs are queued again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import threading
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, OperationalError, connection
from procrastinate.contrib.django import app

from job.services import JOBS_QUEUE, counters_fold_all
from job_exe import services, tasks

logger = logging.getLogger("scale.worker")


class OneLineOutages(logging.Filter):
    """A database outage is one line per event in the worker's log, not a traceback: the
    same rule as the API's (``scale.outage``). Other errors keep their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None:
            if isinstance(error, (OperationalError, psycopg.OperationalError, OSError)):
                record.msg = f"{record.getMessage()}: {error}".replace("\n", " ")
                record.args = ()
                record.exc_info = record.exc_text = None
                break
            error = error.__cause__ or error.__context__
        return True

SWEEP_SECONDS = 2.0
FOLD_SECONDS = 5.0
SHUTDOWN_GRACE_SECONDS = 10.0


def hardware() -> dict[str, float | None]:
    """This host's CPUs, memory (MiB) and the disk (MiB) of the executions' working
    directories, as the node's ``cpus_total``, ``mem_total`` and ``disk_total``; None for
    what cannot be found."""
    mebibyte = 1024 * 1024
    try:
        cpus: float | None = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count()) if os.cpu_count() else None
    try:
        mem: float | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / mebibyte
    except (AttributeError, OSError, ValueError):
        mem = None
    directory = settings.SCALE_WORK_DIR
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        disk: float | None = shutil.disk_usage(directory).total / mebibyte
    except OSError:
        disk = None
    return {"cpus": cpus, "mem": mem, "disk": disk}


class Command(BaseCommand):
    help = "Run queued jobs on this host (a Procrastinate worker on the scale-jobs queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=1,
            help="executions run at once by this worker (default 1)",
        )
        parser.add_argument(
            "--hostname", default=os.environ.get("SCALE_WORKER_HOSTNAME") or socket.gethostname(),
            help="the Node this worker's executions run on (default: this host's name)",
        )

    def handle(self, *args, concurrency: int, hostname: str, **options) -> None:
        if concurrency < 1:
            self.stderr.write("--concurrency must be at least 1")
            raise SystemExit(2)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[worker] %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(OneLineOutages())
        for name in ("scale.worker", "job_exe", "procrastinate"):
            named = logging.getLogger(name)
            named.addHandler(handler)
            named.setLevel(logging.WARNING)
            named.propagate = False
        node_id = self._register(hostname)
        tasks.WORKER_NODE["id"] = node_id
        stop = threading.Event()
        housekeeping = threading.Thread(
            target=self._housekeeping, args=(node_id, stop), daemon=True, name="housekeeping"
        )
        housekeeping.start()
        self.stderr.write(f"worker {os.getpid()} on node {hostname} (id {node_id}), "
                          f"concurrency {concurrency}")
        try:
            asyncio.run(self._serve(concurrency, f"{hostname}-{os.getpid()}"))
        finally:
            stop.set()
            housekeeping.join(5)

    @staticmethod
    def _register(hostname: str) -> int:
        while True:
            try:
                return services.node_register(hostname=hostname, **hardware())
            except DatabaseError as exc:
                logger.warning("the database is not answering; trying again: %s", exc)
                connection.close()
                time.sleep(1)

    @staticmethod
    def _housekeeping(node_id: int, stop: threading.Event) -> None:
        # Three keep-alives per window: one lost to a slow database leaves the node online.
        keep_alive_seconds = settings.SCALE_NODE_ALIVE_SECONDS / 3
        last_keep_alive = time.monotonic()
        last_fold = 0.0
        while not stop.wait(min(SWEEP_SECONDS, keep_alive_seconds)):
            try:
                lost = services.job_exes_fail_lost()
                if lost:
                    logger.warning("failed %d lost executions", lost)
                if time.monotonic() - last_keep_alive >= keep_alive_seconds:
                    services.node_keep_alive(node_id=node_id)
                    last_keep_alive = time.monotonic()
                if time.monotonic() - last_fold >= FOLD_SECONDS:
                    counters_fold_all()
                    last_fold = time.monotonic()
            except DatabaseError as exc:
                logger.warning("housekeeping: %s", exc)
                connection.close()
        connection.close()

    @staticmethod
    async def _serve(concurrency: int, name: str) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        worker_app = app.with_connector(app.connector.get_worker_connector())
        while not stopping.is_set():
            try:
                async with worker_app.open_async():
                    run = asyncio.create_task(worker_app.run_worker_async(
                        queues=[JOBS_QUEUE], name=name, concurrency=concurrency,
                        install_signal_handlers=False, delete_jobs="successful",
                        shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                        update_heartbeat_interval=2.0, stalled_worker_timeout=10.0,
                        abort_job_polling_interval=1.0,
                    ))
                    stop_wait = asyncio.create_task(stopping.wait())
                    done, _ = await asyncio.wait(
                        {run, stop_wait}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if run not in done:
                        run.cancel()
                    stop_wait.cancel()
                    try:
                        await run
                    except asyncio.CancelledError:
                        pass
            except Exception as exc:  # the database went away: start again when it is back
                logger.warning("the Procrastinate worker stopped: %s", exc)
            if not stopping.is_set():
                try:
                    await asyncio.wait_for(stopping.wait(), timeout=1.0)
                except TimeoutError:
                    pass
