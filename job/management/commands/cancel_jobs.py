"""``manage.py cancel_jobs`` — cancel the jobs that the /jobs/ filters select."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError, CommandParser
from django.db.models import Count, Max
from tqdm import tqdm

from job.management.commands._options import (
    JobCommand,
    add_job_filter_arguments,
    job_filter_options,
    job_filterset,
    positive_int_option,
)
from job.models import Job
from job.services import JobCancelSummary, job_cancel_many

SKIPPED_STATUSES = (Job.Status.COMPLETED, Job.Status.CANCELED)
DRY_RUN_SAMPLE = 10


class Command(JobCommand):
    help = (
        "Cancel the jobs selected by the same filters as GET /jobs/ (validated by the API's "
        "FilterSet, with its error messages), through the API's cancel service: each job in "
        "its own transaction, its unfinished execution canceled with it. COMPLETED and "
        "CANCELED jobs are skipped and counted. At least one filter, or --all, is required."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_filter_arguments(parser)
        parser.add_argument(
            "--all",
            action="store_true",
            help="allow running with no filter: cancel every cancelable job",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="change nothing; print how many jobs would be canceled and a sample of ids",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="job ids read per query (default 500); each job is still its own transaction",
        )

    def handle(self, *args: object, **options) -> None:
        batch_size = positive_int_option("--batch-size", options["batch_size"], maximum=10_000)
        names = [name for name, _, _ in job_filter_options()]
        filterset = job_filterset({name: options[name] for name in names})
        # Judged on the cleaned values: `--status ""` from an empty shell variable is no
        # filter at all, and must not turn into "cancel everything".
        if not any(filterset.form.cleaned_data.get(name) for name in names):
            if not options["all"]:
                raise CommandError(
                    "no filter given: pass at least one of "
                    + ", ".join("--" + name.replace("_", "-") for name in names)
                    + ", or --all to cancel every cancelable job"
                )
        selected = filterset.qs.order_by()

        skipped = JobCancelSummary()
        for row in (
            selected.filter(status__in=SKIPPED_STATUSES).values("status").annotate(n=Count("id"))
        ):
            if row["status"] == Job.Status.CANCELED:
                skipped.already_canceled = row["n"]
            else:
                skipped.not_cancelable[row["status"]] = row["n"]
        cancelable = selected.exclude(status__in=SKIPPED_STATUSES)
        bounds = cancelable.aggregate(total=Count("id"), last=Max("id"))
        total, last_matching_id = bounds["total"], bounds["last"] or 0

        if options["dry_run"]:
            sample = list(cancelable.order_by("id").values_list("id", flat=True)[:DRY_RUN_SAMPLE])
            line = f"Dry run: would cancel {total} job{'' if total == 1 else 's'}"
            if sample:
                more = ", ..." if total > len(sample) else ""
                line += f" (ids {', '.join(map(str, sample))}{more})"
            if skipped.skipped:
                line += f"; would skip {skipped.skipped}: {', '.join(skipped.skip_reasons())}"
            self.stdout.write(line + ". Nothing was changed.")
            return

        summary = JobCancelSummary()
        summary.merge(skipped)
        last_id = 0
        # disable=None: a bar on a terminal, silence in logs and pipes.
        with tqdm(total=total, unit="job", desc="canceling", disable=None, file=sys.stderr) as bar:
            while True:
                # Keyset pages by id, up to the last job that matched at the start: the
                # run cancels what the operator selected, not jobs created meanwhile.
                batch = list(
                    cancelable.filter(id__gt=last_id, id__lte=last_matching_id)
                    .order_by("id")
                    .values_list("id", flat=True)[:batch_size]
                )
                if not batch:
                    break
                summary.merge(job_cancel_many(job_ids=batch, on_each=lambda: bar.update(1)))
                last_id = batch[-1]
        self.stdout.write(summary.describe())
