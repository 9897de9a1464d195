"""``manage.py purge_jobs --older-than DURATION`` — delete old finished jobs, keep files."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone
from tqdm import tqdm

from job.management.commands._options import (
    JobCommand,
    parse_duration_option,
    positive_int_option,
)
from job.models import Job, JobInputFile
from job.services import job_purge_batch
from job_exe.models import JobExecution
from recipe.models import RecipeJob
from scale.api.fields import format_datetime
from storage.models import ScaleFile

FINISHED = tuple(str(status) for status in Job.FINISHED_STATUSES)


class Command(JobCommand):
    help = (
        "Delete finished jobs (FAILED, COMPLETED, CANCELED) whose last_modified is older "
        "than now minus DURATION, with their executions, input-file links and recipe links, "
        "in batches of at most --batch-size jobs per transaction. Unfinished jobs are never "
        "touched; files are kept (product files lose their job and execution). Jobs that "
        "another transaction holds are skipped and left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="DURATION",
            default=None,
            help="required: ISO-8601 duration such as P30D (30 days) or PT12H",
        )
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            help=f"only jobs with this finished status (repeatable; default all of "
            f"{', '.join(FINISHED)})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="change nothing; count what would be deleted and detached",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="jobs deleted per transaction (default 1000, at most 10000)",
        )

    def handle(self, *args: object, **options) -> None:
        duration = parse_duration_option("--older-than", options["older_than"])
        statuses = _finished_statuses(options["status"])
        batch_size = positive_int_option("--batch-size", options["batch_size"], maximum=10_000)
        try:
            cutoff = timezone.now() - duration
        except (OverflowError, ValueError) as exc:
            raise CommandError(f"--older-than {options['older_than']!r} is too long") from exc
        selected = Job.objects.filter(status__in=statuses, last_modified__lt=cutoff)
        scope = f"{'/'.join(statuses)} jobs last modified before {format_datetime(cutoff)}"

        if options["dry_run"]:
            counts = _counts_line(_dry_run_counts(selected))
            self.stdout.write(f"Dry run: would purge {counts} ({scope}). Nothing was changed.")
            return

        totals = dict.fromkeys(
            ("jobs", "job_exes", "input_file_links", "recipe_links", "products_detached"), 0
        )
        with tqdm(
            total=selected.count(), unit="job", desc="purging", disable=None, file=sys.stderr
        ) as bar:
            while True:
                result = job_purge_batch(
                    modified_before=cutoff, statuses=statuses, batch_size=batch_size
                )
                if not result.jobs:
                    break
                for name in totals:
                    totals[name] += getattr(result, name)
                bar.update(result.jobs)
        self.stdout.write(f"Purged {_counts_line(totals)} ({scope}).")
        # Only jobs that were locked can remain: last_modified only moves forward, so no
        # job can newly fall under a cutoff in the past.
        left = selected.count()
        if left:
            self.stdout.write(
                f"{left} matching job{' was' if left == 1 else 's were'} in use by other "
                f"transactions and left for the next run."
            )


def _finished_statuses(values: list[str]) -> list[str]:
    if not values:
        return list(FINISHED)
    chosen: list[str] = []
    for value in values:
        status = value.strip()
        if status not in FINISHED:
            raise CommandError(
                f"--status {value!r} is not a finished status; purge_jobs deletes only "
                f"{', '.join(FINISHED)} jobs"
            )
        if status not in chosen:
            chosen.append(status)
    return chosen


def _dry_run_counts(selected: QuerySet[Job]) -> dict[str, int]:
    """What a purge of ``selected`` would delete and detach, counted in the database."""
    job_ids = selected.values("id")
    return {
        "jobs": selected.count(),
        "job_exes": JobExecution.objects.filter(job_id__in=job_ids).count(),
        "input_file_links": JobInputFile.objects.filter(job_id__in=job_ids).count(),
        "recipe_links": RecipeJob.objects.filter(job_id__in=job_ids).count(),
        "products_detached": ScaleFile.objects.filter(job_id__in=job_ids).count(),
    }


def _counts_line(counts: dict[str, int]) -> str:
    return (
        f"{counts['jobs']} jobs, {counts['job_exes']} executions, "
        f"{counts['input_file_links']} input-file links, {counts['recipe_links']} recipe links; "
        f"{counts['products_detached']} product files kept and detached from their jobs"
    )
