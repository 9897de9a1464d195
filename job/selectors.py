"""Read querysets of jobs, each shaped for exactly one serializer.

Lists count, read the page's ids, then load those rows with their brief nested objects
and what a row adds, one query per relation, so the number of queries does not grow
with the page size. Nothing here loads execution stdout/stderr.
"""

from __future__ import annotations

from operator import attrgetter

from django.db.models import Prefetch, QuerySet

from error.models import Error
from error.serializers import ERROR_BRIEF_FIELDS
from job.interfaces import referenced_file_ids
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job.serializers import JOB_SCALAR_FIELDS, JOB_TYPE_BRIEF_FIELDS
from job_exe.models import JobExecution
from job_exe.serializers import JOB_EXE_COLUMNS
from recipe.models import Recipe
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
    """Jobs with the nested objects of ``/jobs/{id}/`` joined: type, revision, event with
    its rule, error. The view's ``get_queryset`` answers this (DRF's model permissions read
    it); ``job_details_get`` loads one job from it with the rest that the details show."""
    return Job.objects.select_related(
        "job_type", "job_type_rev", "event", "event__rule", "error"
    ).order_by()


def job_details_get(*, job_id: int) -> Job | None:
    """``/jobs/{id}/``: the job (None when there is none) with its executions, newest
    first, in ``job_exes_newest_first`` and its recipes, oldest first, in
    ``recipes_oldest_first``. Three queries; ``job_files`` adds the fourth.

    Plain queries by job id rather than prefetch_related, and a list rather than
    ``.first()``: for one job, Django's prefetch machinery and the ORDER BY ... LIMIT 1
    of ``first()`` cost more than the queries themselves.
    """
    found = list(job_details().filter(pk=job_id))
    if not found:
        return None
    job = found[0]
    job.job_exes_newest_first = _executions_newest_first(job_id)
    job.recipes_oldest_first = _recipes_oldest_first(job_id)
    return job


# The few executions and recipes of a job are sorted here: an ORDER BY cost more to
# compile than sorting them does. Both keys are NOT NULL columns.
def _executions_newest_first(job_id: int) -> list[JobExecution]:
    executions = _executions().filter(job_id=job_id).order_by()
    return sorted(executions, key=attrgetter("created", "id"), reverse=True)


def _recipes_oldest_first(job_id: int) -> list[Recipe]:
    # A job is in a recipe at most once (unique recipe and job), so no duplicates.
    recipes = (
        Recipe.objects.filter(recipe_jobs__job_id=job_id)
        .select_related("recipe_type", "event")
        .order_by()
    )
    return sorted(recipes, key=attrgetter("created", "id"))


def job_files(*, job: Job) -> dict[int, ScaleFile]:
    """The files that the job's data and results reference, by id, in one query."""
    # The JSON comes from outside: ids beyond PostgreSQL's bigint would fail the query.
    ids = {i for i in referenced_file_ids(job.data, job.results) if 0 < i <= PG_BIGINT_MAX}
    if not ids:
        return {}
    # Unordered: the files are looked up by id, and an ORDER BY only costs compiling it.
    return {f.id: f for f in _files().filter(id__in=ids).order_by()}
