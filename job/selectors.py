"""What the job endpoints read beyond the shared pipeline (``scale.api.views``).

Lists need nothing here: the base viewset pages ``jobs()`` and PostgreSQL renders the
page from the serializer. Details add the one part that needs Python: ``inputs`` and
``outputs``, the revision's interface merged with the job's data, results and files.
Nothing here reads execution stdout/stderr.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

import orjson
from django.contrib.postgres.aggregates import BoolOr
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from error.models import Error
from job import metrics
from job.interfaces import job_inputs, job_outputs, referenced_file_ids
from job.models import Job, JobCount, JobDayCount, JobLoadChange, JobType
from job.serializers import JobDetailsSerializer, JobTypeBriefSerializer
from job_exe.models import JobExecution, JobExecutionDayTime, execution_times
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
    day_times: QuerySet[JobExecutionDayTime],
    *,
    columns: list[metrics.MetricsColumn],
    per_job_type: bool,
) -> list[dict[str, Any]]:
    """``/metrics/job-types/plot-data/``: for each column, its values by day (oldest
    first) and, with ``per_job_type``, by job type; else over the job types together.
    ``day_counts`` and ``day_times`` are the rows of the window and job types chosen.

    One query per kind of column asked for: the count columns are filtered sums over the
    same rows of a day (and job type), the time columns sums and extremes over another
    table's; one more when some day's extremes must be read from the executions
    (``JobExecutionDayTime.stale``).
    """
    values: dict[str, list[dict[str, Any]]] = {}
    count_columns = [column for column in columns if column.measure is None]
    if count_columns:
        keys = ["occurred", "job_type_id"] if per_job_type else ["occurred"]
        rows = list(
            # A day whose rows sum to 0 (its one job was re-run) is no day with ended jobs.
            day_counts.values(*keys)
            .annotate(**{c.name: Sum("count", filter=c.counts, default=0) for c in count_columns})
            .annotate(ended=Sum("count"))
            .filter(ended__gt=0)
            .order_by(*keys)
        )
        for column in count_columns:
            values[column.name] = [
                {**({"id": row["job_type_id"]} if per_job_type else {}),
                 "date": row["occurred"], "value": row[column.name]}
                for row in rows
            ]
    time_columns = [column for column in columns if column.measure is not None]
    if time_columns:
        values.update(_time_values(day_times, time_columns, per_job_type=per_job_type))
    plots = []
    for column in columns:
        dates = [value["date"] for value in values[column.name]]
        numbers = [value["value"] for value in values[column.name]]
        plots.append({
            "column": column,
            "min_x": min(dates, default=None),
            "max_x": max(dates, default=None),
            "min_y": min(numbers, default=None),
            "max_y": max(numbers, default=None),
            "values": values[column.name],
        })
    return plots


def _time_values(
    day_times: QuerySet[JobExecutionDayTime],
    columns: list[metrics.MetricsColumn],
    *,
    per_job_type: bool,
) -> dict[str, list[dict[str, Any]]]:
    """The values of time columns: per (day, job type), the rows of ``job_exe_day_time``
    summed (counts, sums) or their extremes taken, the extremes of a stale key read from
    its executions; then, unless ``per_job_type``, the job types of a day together. A day
    on which a time was measured for no execution has no value in that time's columns."""
    measures = sorted({column.measure for column in columns})
    figures = {}
    for measure in measures:
        figures[f"{measure}_count"] = Sum(f"{measure}_count")
        figures[f"{measure}_sum"] = Sum(f"{measure}_sum")
        figures[f"{measure}_min"] = Min(f"{measure}_min")
        figures[f"{measure}_max"] = Max(f"{measure}_max")
    rows = list(
        day_times.values("occurred", "job_type_id")
        .annotate(stale=BoolOr("stale"), **figures)
        .order_by("occurred", "job_type_id")
    )
    rows = [row for row in rows if any(row[f"{m}_count"] for m in measures)]
    stale = [(row["occurred"], row["job_type_id"]) for row in rows if row["stale"]]
    if stale:
        extremes = _execution_extremes(stale, measures)
        for row in rows:
            if row["stale"]:
                row.update(extremes[(row["occurred"], row["job_type_id"])])
    groups: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["occurred"], row["job_type_id"]) if per_job_type else (row["occurred"],)
        group = groups.get(key)
        if group is None:
            groups[key] = dict(row)
            continue
        for measure in measures:
            for kind in ("count", "sum"):
                group[f"{measure}_{kind}"] += row[f"{measure}_{kind}"]
            for kind, pick in (("min", min), ("max", max)):
                known = [v for v in (group[f"{measure}_{kind}"], row[f"{measure}_{kind}"])
                         if v is not None]
                group[f"{measure}_{kind}"] = pick(known, default=None)
    values: dict[str, list[dict[str, Any]]] = {}
    for column in columns:
        measure = column.measure
        column_values = []
        for group in groups.values():
            count = group[f"{measure}_count"]
            if not count:
                continue
            seconds = (group[f"{measure}_sum"] / count if column.aggregate == "avg"
                       else group[f"{measure}_{column.aggregate}"])
            column_values.append({
                **({"id": group["job_type_id"]} if per_job_type else {}),
                "date": group["occurred"], "value": round(seconds),
            })
        values[column.name] = column_values
    return values


def _execution_extremes(keys: list[tuple], measures: list[str]) -> dict[tuple, dict]:
    """The least and greatest of each time over the completed executions of each (day,
    job type) of ``keys``, from the executions themselves: one query, each day's through
    ``job_exe_completed_ended_idx``."""
    chosen = Q()
    for day, job_type_id in keys:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        chosen |= Q(ended__gte=start, ended__lt=start + timedelta(days=1),
                    job__job_type_id=job_type_id)
    times = execution_times()
    aggregates = {}
    for measure in measures:
        aggregates[f"{measure}_min"] = Min(times[measure])
        aggregates[f"{measure}_max"] = Max(times[measure])
    rows = (
        JobExecution.objects.filter(chosen, status=JobExecution.Status.COMPLETED)
        .order_by()
        .values(day=TruncDate("ended", tzinfo=UTC), type_id=F("job__job_type_id"))
        .annotate(**aggregates)
    )
    found = {(row.pop("day"), row.pop("type_id")): row for row in rows}
    nothing = dict.fromkeys(aggregates)
    return {key: found.get(key, nothing) for key in keys}


def metrics_choices() -> orjson.Fragment:
    """The job types that ``/metrics/job-types/`` offers as choices, by name and version,
    rendered by PostgreSQL."""
    texts = (
        rendered(JobType, JobTypeBriefSerializer)
        .order_by("name", "version", "id")
        .values_list(RENDERED, flat=True)
    )
    return orjson.Fragment("[" + ",".join(texts) + "]")
