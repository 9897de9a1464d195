"""What the job endpoints read, each shaped for exactly one serializer.

Lists filter, count and page a queryset (``job_rows``, ``job_update_rows``), whose page
ids are then loaded with their brief nested objects and what a row adds by ``job_page``
and friends: a fixed number of queries whatever the page size. Details load one job in
full. Nothing here loads execution stdout/stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import SimpleNamespace
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers

from error.models import Error
from error.serializers import ERROR_BRIEF_FIELDS, ErrorSerializer
from job.interfaces import referenced_file_ids
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job.serializers import (
    JOB_SCALAR_FIELDS,
    JOB_TYPE_BRIEF_FIELDS,
    JobDetailsSerializer,
    JobTypeRevisionSerializer,
    JobTypeSerializer,
)
from job_exe.models import JobExecution
from job_exe.serializers import JOB_EXE_COLUMNS
from recipe.models import Recipe
from recipe.serializers import RecipeSerializer, RecipeTypeBriefSerializer
from scale.api.filters import PG_BIGINT_MAX
from scale.prepared import PreparedValuesQuery
from storage.models import ScaleFile
from trigger.serializers import (
    TriggerEventBriefSerializer,
    TriggerEventSerializer,
    TriggerRuleSerializer,
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


# A list row's own columns (with the ids of its brief nested objects) and its event,
# which is one per job, come in one query; the page's few job types, revisions and
# errors in one query each. Joining those into every row made PostgreSQL send, and
# psycopg2 parse, the same job type a thousand times for a 1000-row page.
_ROW_FIELDS = ("id", *JOB_SCALAR_FIELDS, "job_type_id", "job_type_rev_id", "error_id")
_EVENT_BRIEF_FIELDS = ("id", "type", "rule_id", "occurred")
_ROWS = PreparedValuesQuery(
    lambda ids: Job.objects.filter(pk__any_of=ids)
    .order_by()
    .values_list(*_ROW_FIELDS, *(f"event__{field}" for field in _EVENT_BRIEF_FIELDS))
)


def _brief(model: type[Model], fields: tuple[str, ...]) -> PreparedValuesQuery:
    return PreparedValuesQuery(
        lambda ids: model.objects.filter(pk__any_of=ids).order_by().values_list(*fields)
    )


# (row attribute, the row's id of it, its fields, the query for a page's ones)
_BRIEF_RELATIONS = tuple(
    (name, f"{name}_id", fields, _brief(model, fields))
    for name, model, fields in (
        ("job_type", JobType, JOB_TYPE_BRIEF_FIELDS),
        ("job_type_rev", JobTypeRevision, ("id", "job_type_id", "revision_num")),
        ("error", Error, ERROR_BRIEF_FIELDS),
    )
)


def job_rows() -> QuerySet[Job]:
    """``/jobs/`` and ``/jobs/executions/``: what is filtered, counted and paged, by
    ``last_modified`` then id. ``job_page`` and friends load the page's rows."""
    return Job.objects.order_by("last_modified", "id")


def job_update_rows() -> QuerySet[Job]:
    """``/jobs/updates/``: the same, by ``last_status_change`` then id."""
    return Job.objects.order_by("last_status_change", "id")


def _plain(fields: tuple[str, ...], values: tuple) -> SimpleNamespace:
    """An object with ``fields`` as attributes: what a serializer reads, without a model."""
    return SimpleNamespace(**dict(zip(fields, values, strict=True)))


def job_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/`` page, by id: each job with its brief nested objects.

    Plain values, not model instances (building those per row and per relation was the
    main cost of a page), read by queries compiled once per process. A page's job types,
    revisions and errors become one object each, shared by every row that has them
    (and rendered once by the serializer). Up to four queries whatever the page size:
    the rows with their events, then the job types, revisions and errors they name.
    """
    own = len(_ROW_FIELDS)
    rows = {}
    for values in _ROWS.rows(ids):
        row = _plain(_ROW_FIELDS, values[:own])
        row.event = _plain(_EVENT_BRIEF_FIELDS, values[own:])
        rows[row.id] = row
    for name, id_attribute, fields, query in _BRIEF_RELATIONS:
        wanted = {getattr(row, id_attribute) for row in rows.values()} - {None}
        found = {}
        if wanted:  # no query for a page without errors
            found = {values[0]: _plain(fields, values) for values in query.rows(wanted)}
        for row in rows.values():
            setattr(row, name, found.get(getattr(row, id_attribute)))
    return rows


def job_update_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/updates/`` page: ``job_page`` plus each job's input files
    (``input_files``, each file once, in the order they were linked), in one more query."""
    rows = job_page(ids)
    for row in rows.values():
        row.input_files = []
    links = (
        JobInputFile.objects.filter(job_id__in=ids)
        .select_related("input_file", "input_file__workspace")
        .order_by("id")
    )
    seen: set[tuple[int, int]] = set()
    for link in links:
        row = rows.get(link.job_id)  # None: the job was deleted since its row was read
        if row is not None and (link.job_id, link.input_file_id) not in seen:
            seen.add((link.job_id, link.input_file_id))
            row.input_files.append(link.input_file)
    return rows


# DISTINCT ON (job_id) keeps one execution per job whatever the page size.
_NEWEST_EXECUTIONS = PreparedValuesQuery(
    lambda job_ids: JobExecution.objects.filter(job_id__any_of=job_ids)
    .order_by("job_id", "-created", "-id")
    .distinct("job_id")
    .values_list(*JOB_EXE_COLUMNS)
)


def job_execution_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/executions/`` page: ``job_page`` plus each job's newest
    execution (greatest created, then id) or None, in ``latest_job_exe``, in one query
    that reads plain values as ``job_page`` does."""
    rows = job_page(ids)
    for row in rows.values():
        row.latest_job_exe = None
    for values in _NEWEST_EXECUTIONS.rows(ids):
        execution = _plain(JOB_EXE_COLUMNS, values)
        row = rows.get(execution.job_id)  # None: the job was deleted since its row was read
        if row is not None:
            row.latest_job_exe = execution
    return rows


def job_details() -> QuerySet[Job]:
    """What the view's ``get_queryset`` answers for details and cancel: DRF's model
    permissions read its model. ``job_details_get`` loads the job itself."""
    return Job.objects.order_by()


class _NestedRows:
    """One query's rows read as nested plain objects, shaped by serializers.

    ``shape`` is ``(path, serializer class)`` pairs: the root (path None) first, each
    nested object after its parent (``event__rule`` after ``event``). Each object gets the
    columns its serializer reads (``_columns``), joined into one query that is compiled
    once per process; a nested object whose id is NULL (a LEFT JOIN's miss) is None.
    """

    def __init__(self, queryset: Callable[[Any], QuerySet], shape: tuple) -> None:
        self._queryset = queryset
        self._serializers = shape
        self._shape: tuple | None = None  # (path, columns), read on first use
        self._query: PreparedValuesQuery | None = None

    def _prepare(self) -> tuple[tuple, PreparedValuesQuery]:
        if self._shape is None or self._query is None:  # the first use
            shape = tuple((path, _columns(serializer)) for path, serializer in self._serializers)
            columns = [
                column if path is None else f"{path}__{column}"
                for path, fields in shape
                for column in fields
            ]
            queryset = self._queryset
            self._query = PreparedValuesQuery(
                lambda values: queryset(values).values_list(*columns)
            )
            self._shape = shape
        return self._shape, self._query

    def rows(self, values: Collection) -> list[SimpleNamespace]:
        shape, query = self._prepare()
        found = []
        for row in query.rows(values):
            objects: dict[str | None, SimpleNamespace | None] = {}
            start = 0
            for path, fields in shape:
                part = row[start : start + len(fields)]
                start += len(fields)
                objects[path] = None if part[0] is None else _plain(fields, part)
                if path is not None:
                    parent, _, name = path.rpartition("__")
                    if objects[parent or None] is not None:
                        setattr(objects[parent or None], name, objects[path])
            found.append(objects[None])
        return found


def _columns(serializer_class: type[serializers.Serializer]) -> tuple[str, ...]:
    """The columns a serializer reads itself, id first: not its nested serializers (the
    shape joins those), nor its method fields (what the selector adds)."""
    columns = ["id"]
    for field in serializer_class()._readable_fields:
        if isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField):
            continue
        column = "__".join(field.source_attrs)
        if column not in columns:
            columns.append(column)
    return tuple(columns)


_DETAILS = _NestedRows(
    lambda job_ids: Job.objects.filter(pk__any_of=job_ids).order_by(),
    (
        (None, JobDetailsSerializer),
        ("job_type", JobTypeSerializer),
        ("job_type_rev", JobTypeRevisionSerializer),
        ("event", TriggerEventSerializer),
        ("event__rule", TriggerRuleSerializer),
        ("error", ErrorSerializer),
    ),
)
# A job is in a recipe at most once (unique recipe and job), so no duplicates.
_RECIPES_OLDEST_FIRST = _NestedRows(
    lambda job_ids: Recipe.objects.filter(recipe_jobs__job_id__any_of=job_ids).order_by(
        "created", "id"
    ),
    (
        (None, RecipeSerializer),
        ("recipe_type", RecipeTypeBriefSerializer),
        ("event", TriggerEventBriefSerializer),
    ),
)
_EXECUTIONS_NEWEST_FIRST = PreparedValuesQuery(
    lambda job_ids: JobExecution.objects.filter(job_id__any_of=job_ids)
    .order_by("-created", "-id")
    .values_list(*JOB_EXE_COLUMNS)
)


def job_details_get(*, job_id: int) -> SimpleNamespace | None:
    """``/jobs/{id}/``: the job (None when there is none) with its full nested objects,
    its executions, newest first, in ``job_exes_newest_first`` and its recipes, oldest
    first, in ``recipes_oldest_first``. Three queries, each compiled once per process,
    reading plain values; ``job_files`` adds the fourth.
    """
    found = _DETAILS.rows([job_id])
    if not found:
        return None
    job = found[0]
    job.job_exes_newest_first = [
        _plain(JOB_EXE_COLUMNS, values) for values in _EXECUTIONS_NEWEST_FIRST.rows([job_id])
    ]
    job.recipes_oldest_first = _RECIPES_OLDEST_FIRST.rows([job_id])
    return job


def job_files(*, job) -> dict[int, ScaleFile]:
    """The files that the job's data and results reference, by id, in one query."""
    # The JSON comes from outside: ids beyond PostgreSQL's bigint would fail the query.
    ids = {i for i in referenced_file_ids(job.data, job.results) if 0 < i <= PG_BIGINT_MAX}
    if not ids:
        return {}
    # Unordered: the files are looked up by id, and an ORDER BY only costs compiling it.
    return {f.id: f for f in _files().filter(id__in=ids).order_by()}
