"""What the job endpoints read beyond the shared pipeline (``scale.api.views``).

Lists need nothing here: the base viewset pages ``jobs()`` and PostgreSQL renders the
page from the serializer. Details add the one part that needs Python: ``inputs`` and
``outputs``, the revision's interface merged with the job's data, results and files.
Nothing here reads execution stdout/stderr.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

import orjson
from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from error.models import Error
from job import metrics
from job.interfaces import job_inputs, job_outputs, referenced_file_ids
from job.models import Job, JobCount, JobDayCount, JobLoadChange, JobType
from job.serializers import JobDetailsSerializer, JobTypeBriefSerializer
from scale.api.filters import PG_BIGINT_MAX
from scale.api.rendering import RENDERED, json_text, rendered
from scale.api.views import read_snapshot
from storage.models import ScaleFile
from storage.serializers import ProductFileSerializer, ScaleFileSerializer

HOUR = timedelta(hours=1)


def jobs() -> QuerySet[Job]:
    """``/jobs/`` and ``/jobs/executions/``: by ``last_modified``, then id."""
    return Job.objects.order_by("last_modified", "id")


def job_updates() -> QuerySet[Job]:
    """``/jobs/updates/``: by ``last_status_change``, then id."""
    return Job.objects.order_by("last_status_change", "id")


@cache
def _files_as_shown() -> QuerySet[ScaleFile]:
    """Files with their JSON as inputs show them and as outputs do (see ``rendered``)."""
    return ScaleFile.objects.order_by().annotate(
        as_input=json_text(ScaleFileSerializer), as_output=json_text(ProductFileSerializer)
    )


def job_details(*, job_id: int) -> dict[str, Any] | None:
    """``/jobs/{id}/`` (None when there is no such job), in two queries of one snapshot:
    the job rendered by PostgreSQL with everything but ``inputs``/``outputs``, then the
    files those show.

    Files are rendered by PostgreSQL too (as inputs show them and as outputs do) and
    embedded as they come.
    """
    with read_snapshot():
        return _job_details(job_id)


def _job_details(job_id: int) -> dict[str, Any] | None:
    python_fields = frozenset(JobDetailsSerializer.PYTHON_FIELDS)
    row = (
        rendered(Job, JobDetailsSerializer, exclude=python_fields)
        .filter(pk=job_id)
        .values_list(RENDERED, "data", "results", "job_type_rev__interface")
        .first()
    )
    if row is None:
        return None
    text, data, results, interface = row
    as_input: dict[int, orjson.Fragment] = {}
    as_output: dict[int, orjson.Fragment] = {}
    ids = referenced_file_ids(data, results, within=PG_BIGINT_MAX)
    if ids:  # no query for a job without files
        files = _files_as_shown().filter(pk__in=ids).values_list("pk", "as_input", "as_output")
        for pk, input_text, output_text in files:
            as_input[pk] = orjson.Fragment(input_text)
            as_output[pk] = orjson.Fragment(output_text)
    computed = {
        "inputs": job_inputs(interface=interface, data=data, files=as_input),
        "outputs": job_outputs(interface=interface, results=results, files=as_output),
    }
    by_postgresql = orjson.loads(text)
    return {
        name: computed[name] if name in computed else by_postgresql[name]
        for name in JobDetailsSerializer.Meta.fields
    }


def running_job_types() -> QuerySet[JobType]:
    """``/job-types/running/``: the job types with RUNNING jobs, with their number and the
    start of the longest running one, longest running first."""
    return (
        JobType.objects.filter(jobs__status=Job.Status.RUNNING)
        .annotate(count=Count("jobs"), longest_running=Min("jobs__started"))
        .order_by("longest_running", "id")
    )


def system_failures() -> QuerySet[JobCount]:
    """``/job-types/system-failures/``: per job type and SYSTEM error, its FAILED jobs
    (``failed``: the sum of that key's ``job_count`` rows, exact), when the first and the
    last of them failed; most recent failure first. One row per key: the key's first row
    of the ledger, the others only summed."""
    failed = Job.objects.filter(
        status=Job.Status.FAILED, job_type=OuterRef("job_type"), error=OuterRef("error")
    ).order_by()
    system_failed = JobCount.objects.filter(
        status=Job.Status.FAILED, error__category=Error.Category.SYSTEM
    ).order_by()
    same_key = system_failed.filter(job_type=OuterRef("job_type"), error=OuterRef("error"))
    first_rows = system_failed.values("job_type", "error").annotate(first=Min("id"))
    return (
        JobCount.objects.filter(id__in=first_rows.values("first"))
        .annotate(
            failed=Subquery(
                same_key.values("error").annotate(total=Sum("count")).values("total")
            ),
            first_error=Subquery(failed.values("last_status_change").order_by(
                F("last_status_change").asc(nulls_last=True))[:1]),
            last_error=Subquery(failed.values("last_status_change").order_by(
                F("last_status_change").desc(nulls_last=True))[:1]),
        )
        .filter(failed__gt=0)
        .order_by(F("last_error").desc(nulls_last=True), "id")
    )


def queue_status() -> QuerySet[JobType]:
    """``/queue/status/``: the job types with QUEUED jobs, with their number, when the one
    queued the longest was queued, and their highest priority (the lowest number); highest
    priority first, then longest queued."""
    return (
        JobType.objects.filter(jobs__status=Job.Status.QUEUED)
        .annotate(count=Count("jobs"), longest_queued=Min("jobs__queued"),
                  highest_priority=Min("jobs__priority"))
        .order_by("highest_priority", "longest_queued", "id")
    )


def requeue_candidates(
    *,
    started=None,
    ended=None,
    status: str | None = None,
    job_ids=None,
    job_type_ids=None,
    job_type_names=None,
    job_type_categories=None,
    error_categories=None,
) -> list[int]:
    """The ids of the jobs that ``POST /queue/requeue-jobs/`` names: every filter given
    (``started``/``ended`` on last_modified, as the lists), in id order. Jobs of any
    status match; only the FAILED and CANCELED ones among them are requeued."""
    jobs = Job.objects.all()
    if started is not None:
        jobs = jobs.filter(last_modified__gte=started)
    if ended is not None:
        jobs = jobs.filter(last_modified__lte=ended)
    if status:
        jobs = jobs.filter(status=status)
    if job_ids:
        jobs = jobs.filter(pk__in=job_ids)
    if job_type_ids:
        jobs = jobs.filter(job_type_id__in=job_type_ids)
    if job_type_names:
        jobs = jobs.filter(job_type__name__in=job_type_names)
    if job_type_categories:
        jobs = jobs.filter(job_type__category__in=job_type_categories)
    if error_categories:
        jobs = jobs.filter(error__category__in=error_categories)
    return list(jobs.order_by("id").values_list("id", flat=True))


def job_load(
    changes: QuerySet[JobLoadChange], *, started: datetime, ended: datetime
) -> list[dict[str, Any]]:
    """``/load/``: at every whole hour (UTC) of [started, ended] up to now, how many jobs
    (of the job types ``changes`` is filtered to) were PENDING, QUEUED and RUNNING.

    The counts at an hour are the sums of every change before it (``JobLoadChange``): one
    sum over the hours before the window, then the window's hours one by one.
    """
    first = started.replace(minute=0, second=0, microsecond=0)
    if first < started:
        first += HOUR
    last = min(ended, timezone.now())
    if first > last:
        return []
    sums = {"pending": Sum("pending"), "queued": Sum("queued"), "running": Sum("running")}
    before = changes.filter(hour__lt=first - HOUR).aggregate(**sums)
    counts = {state: before[state] or 0 for state in sums}
    within = dict(
        (row.pop("hour"), row)
        for row in changes.filter(hour__gte=first - HOUR, hour__lt=last)
        .values("hour").annotate(**sums).order_by("hour")
    )
    points = []
    moment = first
    while moment <= last:
        for state, change in within.get(moment - HOUR, {}).items():
            counts[state] += change
        points.append({
            "time": moment,
            "pending_count": counts["pending"],
            "queued_count": counts["queued"],
            "running_count": counts["running"],
        })
        moment += HOUR
    return points


def metrics_plot_data(
    day_counts: QuerySet[JobDayCount],
    *,
    columns: list[metrics.MetricsColumn],
    per_job_type: bool,
) -> list[dict[str, Any]]:
    """``/metrics/job-types/plot-data/``: for each column, its values by day (oldest
    first) and, with ``per_job_type``, by job type; else summed over the job types.

    One query: every column is a filtered sum over the same rows of a day (and job type).
    """
    keys = ["occurred", "job_type_id"] if per_job_type else ["occurred"]
    rows = list(
        # A day whose rows sum to 0 (its one job was re-run) is no day with ended jobs.
        day_counts.values(*keys)
        .annotate(**{c.name: Sum("count", filter=c.counts, default=0) for c in columns})
        .annotate(ended=Sum("count"))
        .filter(ended__gt=0)
        .order_by(*keys)
    )
    plots = []
    for column in columns:
        values = []
        for row in rows:
            value = {"id": row["job_type_id"]} if per_job_type else {}
            values.append({**value, "date": row["occurred"], "value": row[column.name]})
        dates = [value["date"] for value in values]
        numbers = [value["value"] for value in values]
        plots.append({
            "column": column,
            "min_x": min(dates, default=None),
            "max_x": max(dates, default=None),
            "min_y": min(numbers, default=None),
            "max_y": max(numbers, default=None),
            "values": values,
        })
    return plots


def metrics_choices() -> orjson.Fragment:
    """The job types that ``/metrics/job-types/`` offers as choices, by name and version,
    rendered by PostgreSQL."""
    texts = (
        rendered(JobType, JobTypeBriefSerializer)
        .order_by("name", "version", "id")
        .values_list(RENDERED, flat=True)
    )
    return orjson.Fragment("[" + ",".join(texts) + "]")
