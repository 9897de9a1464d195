"""Read querysets of jobs, each shaped for exactly one serializer.

Lists count, read the page's ids, then load those rows with their brief nested objects
and what a row adds, one query per relation, so the number of queries does not grow
with the page size. Nothing here loads execution stdout/stderr.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from error.models import Error
from error.serializers import ERROR_BRIEF_FIELDS
from job.interfaces import referenced_file_ids
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job.serializers import JOB_SCALAR_FIELDS, JOB_TYPE_BRIEF_FIELDS
from job_exe.models import JobExecution
from job_exe.serializers import JOB_EXE_COLUMNS
from recipe.models import RecipeJob
from scale.api.filters import PG_BIGINT_MAX
from storage.models import ScaleFile


def _brief_related() -> tuple[Prefetch, ...]:
    """A list row joins its event (one per job) and prefetches the job type, revision and
    error: a page holds a handful of distinct ones, so each is built once per page instead
    of once per row (model instances are the main cost of a 1000-row page).

    Built per call: Django writes hints (the page's first instance) into a Prefetch's
    queryset when it runs, so a module-level one would carry state from request to request.
    """
    return (
        Prefetch("job_type", queryset=JobType.objects.only(*JOB_TYPE_BRIEF_FIELDS)),
        Prefetch(
            "job_type_rev",
            queryset=JobTypeRevision.objects.only("id", "job_type_id", "revision_num"),
        ),
        Prefetch("error", queryset=Error.objects.only(*ERROR_BRIEF_FIELDS)),
    )


_ROW_COLUMNS = (
    "job_type_id",
    "job_type_rev_id",
    "error_id",
    "event__type",
    "event__rule_id",
    "event__occurred",
    *JOB_SCALAR_FIELDS,
)


def _files() -> QuerySet[ScaleFile]:
    return ScaleFile.objects.select_related("workspace").only(
        *(
            f.name
            for f in ScaleFile._meta.concrete_fields
            if f.name not in {"workspace", "job_type", "job", "job_exe"}
        ),
        "workspace_id",
        "workspace__name",
        "workspace__base_url",
        "job_type_id",
        "job_id",
        "job_exe_id",
    )


def _executions() -> QuerySet[JobExecution]:
    return JobExecution.objects.only(*JOB_EXE_COLUMNS)


def job_rows() -> QuerySet[Job]:
    """``/jobs/``: rows with brief nested objects, by ``last_modified`` then id."""
    return (
        Job.objects.select_related("event")
        .prefetch_related(*_brief_related())
        .only(*_ROW_COLUMNS)
        .order_by("last_modified", "id")
    )


def job_update_rows() -> QuerySet[Job]:
    """``/jobs/updates/``: rows plus their input files, by ``last_status_change`` then id."""
    links = JobInputFile.objects.select_related("input_file", "input_file__workspace").order_by(
        "id"
    )
    return job_rows().prefetch_related(
        Prefetch("input_file_links", queryset=links)
    ).order_by("last_status_change", "id")


def job_execution_rows() -> QuerySet[Job]:
    """``/jobs/executions/``: rows plus each job's newest execution (greatest created, id)."""
    # DISTINCT ON (job_id) keeps one execution per job whatever the page size.
    latest = _executions().order_by("job_id", "-created", "-id").distinct("job_id")
    return job_rows().prefetch_related(
        Prefetch("job_exes", queryset=latest, to_attr="latest_job_exes")
    )


def job_details() -> QuerySet[Job]:
    """``/jobs/{id}/``: the job with full nested objects, executions (newest first), recipes."""
    recipe_links = RecipeJob.objects.select_related(
        "recipe__recipe_type", "recipe__event"
    ).order_by("recipe__created", "recipe_id")
    return (
        Job.objects.select_related(
            "job_type", "job_type_rev", "event", "event__rule", "error"
        )
        .prefetch_related(
            Prefetch("job_exes", queryset=_executions().order_by("-created", "-id")),
            Prefetch("recipe_jobs", queryset=recipe_links),
        )
        .order_by("id")
    )


def job_files(*, job: Job) -> dict[int, ScaleFile]:
    """The files that the job's data and results reference, by id, in one query."""
    # The JSON comes from outside: ids beyond PostgreSQL's bigint would fail the query.
    ids = {i for i in referenced_file_ids(job.data, job.results) if 0 < i <= PG_BIGINT_MAX}
    if not ids:
        return {}
    return {f.id: f for f in _files().filter(id__in=ids)}
