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
from django.db.models import QuerySet

from job.interfaces import job_inputs, job_outputs, referenced_file_ids
from job.models import Job
from job.serializers import JobDetailsSerializer
from scale.api.filters import PG_BIGINT_MAX
from scale.api.rendering import RENDERED, json_text, rendered
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
    """``/jobs/{id}/`` (None when there is no such job), in two queries: the job rendered
    by PostgreSQL with everything but ``inputs``/``outputs``, then the files those show.

    Files are rendered by PostgreSQL too (as inputs show them and as outputs do) and
    embedded as they come.
    """
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
