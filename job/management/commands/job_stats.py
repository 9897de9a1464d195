"""``manage.py job_stats`` — where the jobs are: by status, by job type, the oldest queued
job, and failures by error category over a time window."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.core.management.base import CommandParser
from django.db.models import Count, F, Q
from django.utils import timezone

from error.models import Error
from job.management.commands._options import (
    JobCommand,
    add_job_filter_arguments,
    job_filterset,
)
from job.models import Job
from scale.api.fields import format_datetime

STATUSES = [str(status) for status in Job.Status]
ERROR_CATEGORIES = [str(category) for category in Error.Category]
# The failure column of jobs that failed without a recorded error.
NO_ERROR = "NONE"
DEFAULT_WINDOW = timedelta(hours=24)


class Command(JobCommand):
    help = (
        "Print job counts by status and by job type (all jobs), the oldest queued job, and "
        "FAILED jobs by error category within a window on last_modified (--started/--ended "
        "as the API takes them; default the 24 hours before --ended, which defaults to now). "
        "An aligned table, or --json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_job_filter_arguments(parser, names=("started", "ended"))
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: object, **options) -> None:
        window = job_filterset({"started": options["started"], "ended": options["ended"]})
        now = timezone.now()
        ended = window.form.cleaned_data.get("ended") or now
        started = window.form.cleaned_data.get("started") or ended - DEFAULT_WINDOW
        stats = collect_stats(started=started, ended=ended, now=now)
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2))
        else:
            self.stdout.write(render_table(stats))


def collect_stats(*, started: datetime, ended: datetime, now: datetime) -> dict:
    """Everything the command prints, from four aggregate queries."""
    by_status = dict.fromkeys(STATUSES, 0)
    for row in Job.objects.order_by().values("status").annotate(n=Count("id")):
        by_status[row["status"]] = row["n"]

    per_status = {status: Count("id", filter=Q(status=status)) for status in STATUSES}
    by_job_type = [
        {
            "id": row["job_type_id"],
            "name": row["job_type__name"],
            "version": row["job_type__version"],
            "total": row["total"],
            "by_status": {status: row[status] for status in STATUSES},
        }
        for row in Job.objects.order_by()
        .values("job_type_id", "job_type__name", "job_type__version")
        .annotate(total=Count("id"), **per_status)
        .order_by("job_type__name", "job_type__version", "job_type_id")
    ]

    oldest = (
        Job.objects.filter(status=Job.Status.QUEUED)
        .order_by(F("queued").asc(nulls_last=True), "id")
        .values("id", "queued", "job_type__name", "job_type__version")
        .first()
    )
    oldest_queued = None
    if oldest is not None:
        queued = oldest["queued"]
        oldest_queued = {
            "id": oldest["id"],
            "job_type": {"name": oldest["job_type__name"], "version": oldest["job_type__version"]},
            "queued": format_datetime(queued),
            "waiting_seconds": int((now - queued).total_seconds()) if queued else None,
        }

    failures = dict.fromkeys([*ERROR_CATEGORIES, NO_ERROR], 0)
    for row in (
        Job.objects.filter(
            status=Job.Status.FAILED, last_modified__gte=started, last_modified__lte=ended
        )
        .order_by()
        .values("error__category")
        .annotate(n=Count("id"))
    ):
        failures[row["error__category"] or NO_ERROR] += row["n"]

    return {
        "generated": format_datetime(now),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_job_type": by_job_type,
        "oldest_queued": oldest_queued,
        "failures": {
            "started": format_datetime(started),
            "ended": format_datetime(ended),
            "total": sum(failures.values()),
            "by_error_category": failures,
        },
    }


def render_table(stats: dict) -> str:
    """The stats as aligned plain-text tables, numbers right-aligned."""
    sections = []
    rows = [[status, count] for status, count in stats["by_status"].items()]
    rows.append(["total", stats["total"]])
    sections.append("Jobs by status\n" + _table(["status", "jobs"], rows))

    headers = ["job type", "version", *STATUSES, "total"]
    rows = [
        [jt["name"], jt["version"], *(jt["by_status"][s] for s in STATUSES), jt["total"]]
        for jt in stats["by_job_type"]
    ]
    sections.append(
        "Jobs by job type\n" + (_table(headers, rows, text_columns=2) if rows else "  (no jobs)")
    )

    oldest = stats["oldest_queued"]
    if oldest is None:
        line = "  (no queued jobs)"
    else:
        line = (
            f"  job {oldest['id']} ({oldest['job_type']['name']} "
            f"{oldest['job_type']['version']}), queued {oldest['queued']}"
        )
        if oldest["waiting_seconds"] is not None:
            line += f", waiting {_duration(oldest['waiting_seconds'])}"
    sections.append("Oldest queued job\n" + line)

    failures = stats["failures"]
    rows = [[category, n] for category, n in failures["by_error_category"].items()]
    rows.append(["total", failures["total"]])
    sections.append(
        f"Failed jobs by error category, last modified {failures['started']} to "
        f"{failures['ended']}\n" + _table(["error category", "jobs"], rows)
    )
    return "\n\n".join(sections)


def _table(headers: list[str], rows: list[list], *, text_columns: int = 1) -> str:
    cells = [headers, *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [
            cell.ljust(width) if i < text_columns else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(parts).rstrip())
    return "\n".join(lines)


def _duration(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s"
