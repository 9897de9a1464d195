"""``manage.py recount_jobs`` — rebuild ``job_count`` (the lists' exact counts) from the
job table, after its triggers were bypassed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from job.services import job_count_rebuild


class Command(BaseCommand):
    help = (
        "Count job_count again from the job table: the number of jobs per status, job type "
        "and error that the API's lists sum. Triggers keep it exact; run this only after "
        "they were disabled while jobs were written. Writers of jobs wait while it runs."
    )

    def handle(self, *args: object, **options) -> None:
        result = job_count_rebuild()
        wrong = "1 was" if result.corrected == 1 else f"{result.corrected:,} were"
        self.stdout.write(
            f"job_count rebuilt: {result.jobs:,} jobs in {result.counters:,} counters; "
            f"{wrong} wrong."
        )
