"""``manage.py recount_jobs`` — rebuild the counter ledgers of jobs and executions
(``job_count``, ``job_time_count``, ``job_status_time_count``, ``job_day_count``,
``job_load_change``, ``job_exe_count``: the lists' exact counts, the metrics and the load) and
``job_exe_day_time`` (the metrics' execution times) from the job and execution tables,
after their triggers were bypassed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from job.services import counter_rebuilds


class Command(BaseCommand):
    help = (
        "Count the counter tables again from the job and execution tables: the jobs per "
        "status, job type and error (also per time bucket of their last change and of "
        "their last status change, and per day ended), the job load per hour, the "
        "executions per status, job type and node, and the completed "
        "executions' times per day and job type, that the API sums. "
        "Triggers keep them exact; run this only after they were disabled while rows were "
        "written. Writers wait while it runs."
    )

    def handle(self, *args: object, **options) -> None:
        for table, rebuild in counter_rebuilds():
            result = rebuild()
            wrong = "1 was" if result.corrected == 1 else f"{result.corrected:,} were"
            self.stdout.write(
                f"{table} rebuilt: {result.counters:,} counters summing "
                f"{result.rows:,}; {wrong} wrong."
            )
