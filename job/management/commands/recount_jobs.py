"""``manage.py recount_jobs`` — rebuild ``job_count`` and ``job_exe_count`` (the lists'
exact counts) and ``job_exe_day_time`` (the job type metrics' times) from the job and
execution tables, after their triggers were bypassed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from job.services import job_count_rebuild, job_exe_count_rebuild, job_exe_day_time_rebuild


class Command(BaseCommand):
    help = (
        "Count job_count and job_exe_count again from the job and execution tables: the "
        "number of jobs per status, job type and error, and of executions per status, job "
        "type and node, that the API's lists sum, and job_exe_day_time, the times of the "
        "completed executions per day and job type that the metrics plot. Triggers keep "
        "them exact; run this only "
        "after they were disabled while rows were written. Writers wait while it runs."
    )

    def handle(self, *args: object, **options) -> None:
        for name, rebuild, rows in (
            ("job_count", job_count_rebuild, "jobs"),
            ("job_exe_count", job_exe_count_rebuild, "executions"),
            ("job_exe_day_time", job_exe_day_time_rebuild, "completed executions"),
        ):
            result = rebuild()
            wrong = "1 was" if result.corrected == 1 else f"{result.corrected:,} were"
            self.stdout.write(
                f"{name} rebuilt: {result.rows:,} {rows} in {result.counters:,} counters; "
                f"{wrong} wrong."
            )
