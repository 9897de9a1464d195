"""What the job endpoints read beyond the shared pipeline (``scale.api.views``).

Lists need nothing here: the base viewset pages ``jobs()`` and PostgreSQL renders the
page from the serializer. Details add the one part that needs Python: ``inputs`` and
``outputs``, the revision's interface merged with the job's data, results and files.
Nothing here reads execution stdout/stderr.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery

from error.models import Error
from job.interfaces import job_inputs, job_outputs, referenced_file_ids
from job.models import Job, JobCount, JobType
from job.serializers import JobDetailsSerializer
from scale.api.filters import PG_BIGINT_MAX
from scale.api.rendering import RENDERED, json_text, rendered
from scale.api.views import read_snapshot
from storage.models import ScaleFile
from storage.serializers import ProductFileSerializer, ScaleFileSerializer


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
    (``job_count``'s row, exact), when the first and the last of them failed; most recent
    failure first."""
    failed = Job.objects.filter(
        status=Job.Status.FAILED, job_type=OuterRef("job_type"), error=OuterRef("error")
    ).order_by()
    return (
        JobCount.objects.filter(
            status=Job.Status.FAILED, error__category=Error.Category.SYSTEM, count__gt=0
        )
        .annotate(
            first_error=Subquery(failed.values("last_status_change").order_by(
                F("last_status_change").asc(nulls_last=True))[:1]),
            last_error=Subquery(failed.values("last_status_change").order_by(
                F("last_status_change").desc(nulls_last=True))[:1]),
        )
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
