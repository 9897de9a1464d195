"""``python bench/load_demo.py --jobs N --database NAME [--append] [--for-bench]``: time
``generate_demo_data`` and check what it left.

Without ``--append`` the database is dropped and created again, then migrated: the load
goes into empty tables (the path that builds the secondary indexes after the rows). With
``--append`` the jobs are added to what the database holds. It prints the rate of every
100,000 jobs, the index build, the ledgers' fold, the database size, and whether every
counter ledger equals a count of the rows (a rebuild, rolled back). ``--for-bench``
vacuums the database and labels it as ``bench/run.py`` does, so that ``make bench
BENCH_JOBS=N`` reuses it, before that check.

The server is ``DATABASE_URL``'s, or this checkout's embedded one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import database_server, manage  # noqa: E402

STEP = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--for-bench", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = database_server()
    name = args.database
    if args.append:
        url = server.url(name)
        manage("migrate", "--noinput", "-v", "0", database_url=url)
    else:
        url = server.recreate(name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scale.settings")
    import django

    django.setup()
    from django.db import connection

    from job.demo_data import generate_demo_data
    from job.models import Job

    before = Job.objects.count()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    began = time.perf_counter()
    marks = {"done": 0, "at": began, "next": STEP}

    def progress(jobs: int) -> None:
        marks["done"] += jobs
        if marks["done"] >= marks["next"] or marks["done"] == args.jobs:
            at = time.perf_counter()
            step = marks["done"] - (marks["next"] - STEP)
            print(f"{marks['done']:>11,} jobs  {at - began:7.0f} s  "
                  f"{step / (at - marks['at']):6.0f} jobs/s", flush=True)
            marks["at"], marks["next"] = at, marks["next"] + STEP

    summary = generate_demo_data(jobs=args.jobs, seed=args.seed, now=now, progress=progress)
    load_seconds = time.perf_counter() - began
    print(f"loaded {args.jobs:,} jobs onto {before:,} in {load_seconds:.0f} s "
          f"({args.jobs / load_seconds:.0f} jobs/s); {summary.indexes_rebuilt} indexes built "
          f"after the rows in {summary.index_seconds:.0f} s; ledgers folded in "
          f"{summary.fold_seconds:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size: {cursor.fetchone()[0]}", flush=True)
    if args.for_bench:
        with closing(server.connect(name)) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        meta = {"jobs": args.jobs, "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_seconds": load_seconds, "now": now.isoformat()}
        with closing(server.connect("postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(meta)])
        print(f"labelled {name} for make bench: {json.dumps(meta)}")
    # Last, as it takes longest (minutes per million jobs): the database is ready for the
    # bench meanwhile.
    check_counters()


def check_counters() -> None:
    """Rebuild every counter table that ``manage.py recount_jobs`` rebuilds, rolled back:
    each reports the keys it would have corrected (0: the triggers kept it exact)."""
    from django.db import transaction

    from job.services import counter_rebuilds

    began = time.perf_counter()
    for table, rebuild in counter_rebuilds():
        with transaction.atomic():
            result = rebuild()
            transaction.set_rollback(True)
        verdict = "exact" if result.corrected == 0 else "WRONG"
        print(f"{table}: {result.counters:,} keys, {result.corrected} would be "
              f"corrected: {verdict}", flush=True)
    print(f"counters checked in {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
