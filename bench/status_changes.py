"""Status changes per second with concurrent writers of one job type (``make bench-status``).

Each of ``BENCH_WRITERS`` writers (default 8, as many workers) changes the status of its
own jobs, all of one job type, again and again: in each transaction it updates one job
(status, ``last_status_change``, ``last_modified``, as a worker does), then holds the
transaction ``BENCH_HOLD_MS`` (default 5 ms: the rest of a worker's transaction, such as
its execution's row) before it commits. The counter triggers run in every one of them.
When the counters keep one row per key, the writers take turns on that row and the rate
is at most one change per hold; with the ledgers (``scale.counters``) they do not.

It prints changes per second and the p50/p99 of a transaction, for ``BENCH_SECONDS``
(default 10) seconds, on ``DATABASE_URL`` (default: the embedded database), and puts
every job it changed back in its status.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import psycopg

WRITERS = int(os.environ.get("BENCH_WRITERS", "8"))
HOLD = float(os.environ.get("BENCH_HOLD_MS", "5")) / 1000
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
JOBS_PER_WRITER = 20


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return f"postgresql://postgres@/scale?host={root / 'var' / 'pgdata'}"


def pick_jobs(url: str) -> list[tuple[int, str]]:
    """QUEUED or RUNNING jobs of the job type that has the most of them."""
    with psycopg.connect(url) as conn:
        job_type = conn.execute(
            "SELECT job_type_id FROM job WHERE status IN ('QUEUED', 'RUNNING') "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        if job_type is None:
            raise SystemExit("no QUEUED or RUNNING jobs to change: load demo data first")
        rows = conn.execute(
            "SELECT id, status FROM job WHERE job_type_id = %s AND status IN "
            "('QUEUED', 'RUNNING') ORDER BY id LIMIT %s",
            [job_type[0], WRITERS * JOBS_PER_WRITER],
        ).fetchall()
    if len(rows) < WRITERS:
        raise SystemExit(f"only {len(rows)} jobs to change for {WRITERS} writers")
    return rows


def write(url: str, jobs: list[tuple[int, str]], stop: threading.Event,
          durations: list[float]) -> None:
    flip = "CASE WHEN status = 'RUNNING' THEN 'QUEUED' ELSE 'RUNNING' END"
    with psycopg.connect(url) as conn:
        turn = 0
        while not stop.is_set():
            job_id = jobs[turn % len(jobs)][0]
            began = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    f"UPDATE job SET status = {flip}, last_status_change = now(), "
                    "last_modified = now() WHERE id = %s", [job_id])
                time.sleep(HOLD)
            durations.append(time.perf_counter() - began)
            turn += 1
        for job_id, status in jobs:
            conn.execute("UPDATE job SET status = %s WHERE id = %s AND status <> %s",
                         [status, job_id, status])
        conn.commit()


def main() -> None:
    url = database_url()
    jobs = pick_jobs(url)
    shares = [jobs[i::WRITERS] for i in range(WRITERS)]
    stop = threading.Event()
    durations: list[list[float]] = [[] for _ in range(WRITERS)]
    threads = [threading.Thread(target=write, args=(url, share, stop, mine))
               for share, mine in zip(shares, durations, strict=True)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    elapsed = time.perf_counter() - began
    for thread in threads:
        thread.join()
    every = sorted(d for mine in durations for d in mine)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    print(f"{WRITERS} writers of one job type, {HOLD * 1000:.0f} ms held per transaction, "
          f"{elapsed:.1f} s: {len(every) / elapsed:,.0f} status changes/s; transaction "
          f"p50 {statistics.median(every) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
          f"(one writer alone at most {1 / HOLD:,.0f}/s)")


if __name__ == "__main__":
    main()
