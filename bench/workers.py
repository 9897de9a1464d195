"""Throughput of the job workers (``make bench-workers``).

On a throwaway database ``scale_bench_workers`` (dropped and created again each run, on the
embedded server or the server of ``DATABASE_URL``), it starts the API under gunicorn as
``make bench`` does and ``BENCH_WORKERS`` workers (default 8; ``manage.py scale_worker``,
concurrency 1 each: one process per execution slot, as ``make worker`` starts them):

0. *drain*: ``BENCH_DRAIN_JOBS`` (default 1,000) jobs of a job type whose command is
   ``true`` queued through the API before the workers start, then the workers' rate on
   that queue (first execution started to last ended): their own rate, whatever the
   queuing's. Then, on the same workers:
1. *engine*: ``BENCH_ENGINE_TASKS`` (default ``BENCH_WORKER_JOBS``) empty Procrastinate
   tasks (``bench/engine_tasks.py``) deferred at once; the time until the last finished;
2. *jobs*: ``BENCH_WORKER_JOBS`` (default 10,000) such jobs, queued through
   ``POST /queue/new-job/`` (a user with ``job.queue_job`` and its token) by
   ``BENCH_CLIENTS`` client threads (default 4), each on its own keep-alive connection,
   while the workers run; then the time until every job is COMPLETED;
3. *idle latency*: ``BENCH_IDLE_JOBS`` (default 50) jobs queued one at a time, each when
   the one before has completed: the queue-to-start latency with no backlog.

It prints the queuing rates, jobs/s end to end (first queued to last completed) and in the
steady state (between the 10th and the 90th percentile of completions), the rate while a
job per worker was waiting (NaN when the queuing never got that far ahead), the
queue-to-start latency p50/p99 (the job's ``queued`` to its execution's ``started``, from
the database) with a backlog and without, the status changes per second, and the engine's
rate beside them. Exit status 1 when a job did not complete.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import database_server, gunicorn  # noqa: E402

PYTHON = sys.executable
JOBS = int(os.environ.get("BENCH_WORKER_JOBS") or 10000)
TASKS = int(os.environ.get("BENCH_ENGINE_TASKS") or JOBS)
WORKERS = int(os.environ.get("BENCH_WORKERS") or 8)
CLIENTS = int(os.environ.get("BENCH_CLIENTS") or 4)
IDLE_JOBS = int(os.environ.get("BENCH_IDLE_JOBS") or 50)
DRAIN_JOBS = int(os.environ.get("BENCH_DRAIN_JOBS") or 1000)
DATABASE = os.environ.get("BENCH_WORKERS_DATABASE") or "scale_bench_workers"
# Seconds each phase may take per job before the run gives up (a slow machine included).
PATIENCE = float(os.environ.get("BENCH_WORKERS_PATIENCE") or 0.5)


def say(line: str = "") -> None:
    print(line, flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def fresh_database() -> str:
    """``DATABASE`` dropped, created and migrated; its URL."""
    return database_server().recreate(DATABASE)


def prepare() -> tuple[int, str]:
    """The ``bench-true`` job type (command ``true``, one try) and a queuing user's token."""
    from django.contrib.auth.models import Permission, User
    from rest_framework.authtoken.models import Token

    from job.models import JobType, JobTypeRevision

    interface = {"version": "1.0", "command": "true", "command_arguments": "",
                 "input_data": [], "output_data": []}
    job_type = JobType.objects.create(
        name="bench-true", version="1.0", title="Bench True", category="bench",
        uses_docker=False, interface=interface, timeout=60, max_tries=1, priority=50,
        revision_num=1,
    )
    JobTypeRevision.objects.create(job_type=job_type, revision_num=1, interface=interface)
    user = User.objects.create_user("bench-queuer")
    user.user_permissions.add(Permission.objects.get(codename="queue_job"))
    return job_type.pk, Token.objects.create(user=user).key


@contextmanager
def workers(database_url: str, count: int, log_dir: Path):
    """``count`` ``manage.py scale_worker`` processes (concurrency 1) until the block ends;
    ready when Procrastinate lists them all."""
    from django.db import connection

    env = os.environ | {
        "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SCALE_WORK_DIR": str(log_dir / "work"), "SCALE_WORKER_HOSTNAME": "bench-host",
    }
    processes = []
    for number in range(count):
        with (log_dir / f"worker-{number}.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [PYTHON, "manage.py", "scale_worker", "--concurrency", "1"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
    try:
        deadline = time.monotonic() + 120
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM procrastinate_workers")
                if cursor.fetchone()[0] >= count:
                    break
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited; see {log_dir}")
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start within 120 s")
            time.sleep(0.2)
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(done, *, total: int, what: str) -> dict[float, float]:
    """Poll ``done()`` (how many have finished) every 0.25 s until ``total``; the monotonic
    time each tenth of ``total`` was first seen reached (0.1 ... 1.0)."""
    marks: dict[float, float] = {}
    deadline = time.monotonic() + 60 + PATIENCE * total
    while True:
        finished = done()
        now = time.monotonic()
        for tenth in range(1, 11):
            if finished >= total * tenth / 10:
                marks.setdefault(tenth / 10, now)
        if finished >= total:
            return marks
        if now > deadline:
            raise RuntimeError(f"{what}: {finished} of {total} finished in time")
        time.sleep(0.25)  # each poll is a query the workers compete with


@dataclass
class Rate:
    end_to_end: float  # per second, from the first start to the last finish
    steady: float  # per second, between the 10% and 90% marks of the finishes


def engine_phase(count: int) -> Rate:
    """``count`` empty tasks deferred at once; their rate through the workers."""
    from django.db import connection
    from procrastinate.contrib.django import app

    from bench.engine_tasks import NOOP_TASK
    from job.services import JOBS_QUEUE

    task = app.configure_task(NOOP_TASK, queue=JOBS_QUEUE)
    started = time.monotonic()
    for first in range(0, count, 1000):
        task.batch_defer(*({} for _ in range(min(1000, count - first))))

    def finished() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FILTER (WHERE status IN ('todo', 'doing')), "
                           "count(*) FILTER (WHERE status = 'failed') FROM procrastinate_jobs "
                           "WHERE task_name = %s", [NOOP_TASK])
            pending, failed = cursor.fetchone()
        if failed:
            raise RuntimeError(f"{failed} empty tasks failed; see the workers' logs")
        return count - pending

    marks = wait_until(finished, total=count, what="empty tasks")
    return Rate(end_to_end=count / (marks[1.0] - started),
                steady=0.8 * count / (marks[0.9] - marks[0.1]))


class Client:
    """One keep-alive connection to the API, queuing ``bench-true`` jobs."""

    def __init__(self, port: int, token: str, job_type_id: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.body = json.dumps({"job_type_id": job_type_id, "job_data": {}}).encode()

    def queue(self) -> int:
        self.connection.request("POST", "/queue/new-job/", body=self.body, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST /queue/new-job/: {response.status} {body[:300]!r}")
        return json.loads(body)["id"]


def queue_jobs(port: int, token: str, job_type_id: int, count: int) -> float:
    """``count`` jobs queued by ``CLIENTS`` threads; the seconds it took."""
    errors: list[BaseException] = []
    shares = [count // CLIENTS + (1 if n < count % CLIENTS else 0) for n in range(CLIENTS)]

    def run(share: int) -> None:
        client = Client(port, token, job_type_id)
        try:
            for _ in range(share):
                client.queue()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            client.connection.close()

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - started


def completed_count() -> int:
    from job.models import Job

    jobs = Job.objects.filter(job_type__name="bench-true")
    failed = jobs.exclude(status__in=["QUEUED", "RUNNING", "COMPLETED"]).count()
    if failed:
        raise RuntimeError(f"{failed} bench-true jobs did not complete; see the workers' logs")
    return jobs.filter(status="COMPLETED").count()


def job_timings(after_id: int = 0) -> list[tuple[float, float, float]]:
    """(queued, started, ended) in epoch seconds of each completed ``bench-true`` job
    with an id above ``after_id``: the job's ``queued``, its execution's ``started`` and
    ``ended``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM j.queued), extract(epoch FROM e.started), "
            "extract(epoch FROM e.ended) FROM job j JOIN job_exe e ON e.job_id = j.id "
            "JOIN job_type t ON t.id = j.job_type_id "
            "WHERE t.name = 'bench-true' AND j.status = 'COMPLETED' AND j.id > %s",
            [after_id],
        )
        return [tuple(float(v) for v in row) for row in cursor.fetchall()]


def busy_rate(timings: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Completions per second while at least ``WORKERS`` jobs were waiting (queued, not
    started: no worker idle for want of work), and those seconds; NaN when never."""
    events = sorted([(t[0], 1, 0) for t in timings] + [(t[1], -1, 0) for t in timings]
                    + [(t[2], 0, 1) for t in timings])
    waiting = 0
    busy_seconds = completions = 0.0
    previous = events[0][0]
    for moment, change, completed in events:
        if waiting >= WORKERS:
            busy_seconds += moment - previous
            completions += completed
        waiting += change
        previous = moment
    return (completions / busy_seconds if busy_seconds else float("nan")), busy_seconds


@dataclass
class JobsResult:
    queuing_seconds: float
    rate: Rate
    latencies: list[float]
    busy: float  # jobs/s while some job was waiting
    busy_seconds: float


def last_job_id() -> int:
    from job.models import Job

    return Job.objects.order_by("-id").values_list("id", flat=True).first() or 0


def drain_rate() -> Rate:
    """The rate of the jobs that were all queued before the workers started: first
    execution started to last ended, and between 10% and 90% of the ends."""
    timings = job_timings()
    ends = sorted(t[2] for t in timings)
    ten, ninety = ends[int(0.1 * (len(ends) - 1))], ends[int(0.9 * (len(ends) - 1))]
    return Rate(end_to_end=len(timings) / (ends[-1] - min(t[1] for t in timings)),
                steady=0.8 * len(timings) / (ninety - ten) if ninety > ten else float("nan"))


def jobs_phase(port: int, token: str, job_type_id: int, count: int) -> JobsResult:
    after_id, before = last_job_id(), completed_count()
    queuing = queue_jobs(port, token, job_type_id, count)
    say(f"  queued {count:,} jobs in {queuing:.1f} s ({count / queuing:.1f}/s)")
    wait_until(lambda: completed_count() - before, total=count, what="bench-true jobs")
    timings = job_timings(after_id=after_id)
    first_queued = min(t[0] for t in timings)
    ends = sorted(t[2] for t in timings)
    ten, ninety = ends[int(0.1 * (len(ends) - 1))], ends[int(0.9 * (len(ends) - 1))]
    busy, busy_seconds = busy_rate(timings)
    return JobsResult(
        queuing_seconds=queuing,
        rate=Rate(end_to_end=count / (ends[-1] - first_queued),
                  steady=0.8 * count / (ninety - ten) if ninety > ten else float("nan")),
        latencies=[t[1] - t[0] for t in timings],
        busy=busy, busy_seconds=busy_seconds,
    )


def idle_latencies(port: int, token: str, job_type_id: int, count: int) -> list[float]:
    """``count`` jobs queued one at a time, each once the one before has completed."""
    from job.models import Job

    client = Client(port, token, job_type_id)
    first_id = None
    try:
        for _ in range(count):
            job_id = client.queue()
            first_id = first_id or job_id
            deadline = time.monotonic() + 60
            while Job.objects.filter(pk=job_id, status="COMPLETED").count() == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"job {job_id} did not complete within 60 s")
                time.sleep(0.005)
    finally:
        client.connection.close()
    return [t[1] - t[0] for t in job_timings(after_id=first_id - 1)]


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def measured(port: int, token: str, job_type_id: int):
    engine = engine_phase(TASKS)
    say(f"  engine: {TASKS:,} empty tasks, {engine.end_to_end:.0f}/s end to end")
    jobs = jobs_phase(port, token, job_type_id, JOBS)
    say(f"  jobs: {JOBS:,} completed, {jobs.rate.end_to_end:.1f}/s end to end")
    idle = idle_latencies(port, token, job_type_id, IDLE_JOBS) if IDLE_JOBS else []
    return engine, jobs, idle, load()


def main() -> int:
    # SIGTERM as Ctrl-C: the workers and gunicorn are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    say(f"bench-workers: {WORKERS} workers, {JOBS:,} jobs and {TASKS:,} empty tasks, "
        f"{CLIENTS} queuing clients, {IDLE_JOBS} jobs one at a time; database {DATABASE}")
    say(f"  before: {load()}")
    url = fresh_database()
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.db import connection

    job_type_id, token = prepare()
    connection.close()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        with gunicorn(url) as port:
            drain_queuing = queue_jobs(port, token, job_type_id, DRAIN_JOBS)
            say(f"  queued {DRAIN_JOBS:,} jobs with no worker running in {drain_queuing:.1f} s "
                f"({DRAIN_JOBS / drain_queuing:.1f}/s)")
            with workers(url, WORKERS, log_dir):
                say(f"  gunicorn on port {port}, {WORKERS} workers started (logs in {log_dir})")
                wait_until(completed_count, total=DRAIN_JOBS, what="queued jobs")
                drain = drain_rate()
                say(f"  drain: {DRAIN_JOBS:,} jobs, {drain.end_to_end:.1f}/s")
                engine, jobs, idle, during = measured(port, token, job_type_id)
    except BaseException:
        say(f"  the workers' logs are kept in {log_dir}")
        raise
    shutil.rmtree(log_dir, ignore_errors=True)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    say()
    say(f"| {WORKERS} workers | jobs/s end to end | jobs/s steady | queue-to-start p50 "
        "| p99 |")
    say("|---|---:|---:|---:|---:|")
    say(f"| Scale jobs (`true`), {JOBS:,} queued through the API | "
        f"{jobs.rate.end_to_end:.1f} | {jobs.rate.steady:.1f} | "
        f"{ms(statistics.median(jobs.latencies))} | {ms(percentile(jobs.latencies, 0.99))} |")
    if idle:
        say(f"| Scale jobs (`true`), {IDLE_JOBS} queued one at a time | – | – | "
            f"{ms(statistics.median(idle))} "
            f"| {ms(percentile(idle, 0.99))} |")
    say(f"| Scale jobs (`true`), {DRAIN_JOBS:,} queued before the workers started | "
        f"{drain.end_to_end:.1f} | {drain.steady:.1f} | – | – |")
    say(f"| Procrastinate, {TASKS:,} empty tasks | {engine.end_to_end:.0f} | "
        f"{engine.steady:.0f} | – | – |")
    say()
    say(f"queuing through the API: {JOBS / jobs.queuing_seconds:.1f} jobs/s "
        f"({CLIENTS} clients, {JOBS:,} in {jobs.queuing_seconds:.1f} s)")
    say(f"jobs/s while {WORKERS}+ jobs were waiting (no worker idle for want of work): "
        f"{jobs.busy:.1f} over {jobs.busy_seconds:.0f} s")
    say(f"queuing with no worker running: {DRAIN_JOBS / drain_queuing:.1f} jobs/s")
    say(f"status changes: {3 * jobs.rate.steady:.0f}/s of jobs while queuing and running "
        "(each job inserted QUEUED, then RUNNING, then COMPLETED); "
        f"{2 * drain.steady:.0f}/s while draining the queue (RUNNING, COMPLETED); as many "
        "of executions")
    say(f"Scale jobs / empty tasks, steady: {jobs.rate.steady / engine.steady:.1%} "
        f"queued meanwhile, {drain.steady / engine.steady:.1%} draining")
    say(f"load during the run: {during}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
