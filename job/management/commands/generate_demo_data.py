"""``manage.py generate_demo_data --jobs N [--seed S] [--now ISO] [--if-empty]``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from job.demo_data import DEFAULT_BATCH_SIZE, DemoSummary, default_now, generate_demo_data
from job.demo_data.runnable import ensure_runnable_demo
from job.models import Job


class Command(BaseCommand):
    help = (
        "Append realistic demo data across every model: N jobs with their executions, "
        "files, events and recipes. The same --seed, --jobs and --now on an empty database "
        "give identical rows. --runnable adds the demo job types a worker can run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, required=True, help="number of jobs to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--now",
            type=_aware_datetime,
            default=None,
            help="ISO-8601 time with a timezone that anchors every timestamp (default: the "
            "current time truncated to the hour); fix it for identical rows",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds a job (but --runnable)",
        )
        parser.add_argument(
            "--runnable",
            action="store_true",
            help="also (every time) the demo job types a worker can run: demo-checksum, "
            "demo-sleep, demo-fail, with their workspaces under var/workspaces/",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"jobs per COPY transaction (default {DEFAULT_BATCH_SIZE}); rows do not depend "
            "on it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs, batch_size = options["jobs"], options["batch_size"]
        if jobs < 1:
            raise CommandError(f"--jobs must be a positive integer, not {jobs}")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be a positive integer, not {batch_size}")
        now = options["now"]
        if now is None:
            now = default_now()
        elif isinstance(now, str):
            now = _aware_datetime(now)
        if options["if_empty"] and Job.objects.exists():
            self.stdout.write("The database already holds jobs: no demo data generated.")
            if options["runnable"]:
                self._runnable()
            return

        began = time.monotonic()
        with tqdm(
            total=jobs,
            unit="job",
            unit_scale=True,
            file=_RawStream(self.stderr),
            disable=options["verbosity"] == 0,
        ) as bar:
            summary = generate_demo_data(
                jobs=jobs, seed=options["seed"], now=now, batch_size=batch_size, progress=bar.update
            )
        self.stdout.write(_report(summary, time.monotonic() - began, options["seed"], now))
        if options["runnable"]:
            self._runnable()

    def _runnable(self) -> None:
        demo = ensure_runnable_demo()
        names = ", ".join(f"{name} (id {pk})" for name, pk in demo.job_types.items())
        self.stdout.write(f"Runnable demo job types: {names}; sample input file id "
                          f"{demo.sample_file}, products workspace id {demo.products}.")


def _aware_datetime(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now must be an ISO-8601 datetime, not {value!r}") from None
    if moment.tzinfo is None:
        raise CommandError(f"--now needs a timezone (Z or an offset): {value!r}")
    return moment


class _RawStream:
    """Lets tqdm draw on the command's stderr: OutputWrapper would end every write with a
    newline, breaking the bar's carriage-return redraws."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper
        # tqdm draws Unicode blocks only on a stream that says it takes them.
        self.encoding = getattr(wrapper, "encoding", None)

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()


def _report(summary: DemoSummary, seconds: float, seed: int, now: datetime) -> str:
    minutes, rest = divmod(round(seconds), 60)
    by_status = ", ".join(f"{status} {count:,}" for status, count in summary.jobs_by_status.items())
    return "\n".join(
        (
            f"Generated {summary.jobs:,} jobs in {minutes} min {rest} s "
            f"(seed {seed}, now {now.isoformat()}).",
            f"  jobs by status: {by_status}",
            f"  executions: {summary.executions:,}",
            f"  files: {summary.source_files + summary.product_files:,} "
            f"({summary.source_files:,} source, {summary.product_files:,} products), "
            f"job input files: {summary.job_input_files:,}",
            f"  trigger events: {summary.events:,}, recipes: {summary.recipes:,}, "
            f"recipe jobs: {summary.recipe_jobs:,}",
        )
    ) + (
        f"\n  into empty tables: {summary.indexes_rebuilt} secondary indexes built after the "
        f"rows, in {summary.index_seconds:.0f} s"
        if summary.indexes_rebuilt
        else ""
    )
