"""What the job endpoints read, each shaped for exactly one serializer.

Lists filter, count and page a queryset (``job_rows``, ``job_update_rows``), whose page
ids are then loaded with their brief nested objects and what a row adds by ``job_page``
and friends: a fixed number of queries whatever the page size. Details load one job in
full. Nothing here loads execution stdout/stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers

from error.models import Error
from error.serializers import ErrorBriefSerializer, ErrorSerializer
from job.interfaces import referenced_file_ids
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job.serializers import (
    JobDetailsSerializer,
    JobSerializer,
    JobTypeBriefSerializer,
    JobTypeRevisionBriefSerializer,
    JobTypeRevisionSerializer,
    JobTypeSerializer,
)
from job_exe.models import JobExecution
from job_exe.serializers import JobExecutionSerializer
from recipe.models import Recipe
from recipe.serializers import RecipeSerializer, RecipeTypeBriefSerializer
from scale.api.fields import UtcMillisecondDateTimeField, UtcMilliseconds
from scale.api.filters import PG_BIGINT_MAX
from scale.codegen import define, identifier
from scale.prepared import PreparedValuesQuery
from storage.models import ScaleFile
from storage.serializers import (
    ProductFileSerializer,
    ScaleFileSerializer,
    WorkspaceBriefSerializer,
)
from trigger.serializers import (
    TriggerEventBriefSerializer,
    TriggerEventSerializer,
    TriggerRuleSerializer,
)


class _NestedRows:
    """One query's rows read as nested plain objects, shaped by serializers.

    ``shape`` is ``(path, serializer class, extra columns)`` triples: the root (path
    None) first, each nested object after its parent (``event__rule`` after ``event``).
    Each object gets the columns its serializer reads (``_columns``; none but its id for
    a root that no serializer shows, such as a link) and the extra ones (what a method
    field or the selector reads); all are read by one query, compiled
    once per process. A nested object whose id is NULL (a LEFT JOIN's miss) is None.
    Datetimes arrive as the API's text (``UtcMilliseconds``), which the serializers pass
    on as they are.
    """

    def __init__(self, queryset: Callable[[Any], QuerySet], shape: tuple) -> None:
        self._queryset = queryset
        self._shape = shape
        # Both made on first use: serializers are introspected once the apps are ready.
        self._query: PreparedValuesQuery | None = None
        self._build: Callable[[list[tuple]], list[SimpleNamespace]] | None = None

    def rows(self, values: Collection) -> list[SimpleNamespace]:
        if self._query is None:
            self._prepare()
        return self._build(self._query.rows(values))

    def _prepare(self) -> None:
        layout = []  # (path, parent path, attribute, fields, first column) per object
        columns: list[str | UtcMilliseconds] = []
        for path, serializer, extra in self._shape:
            read = _columns(serializer) | dict.fromkeys(extra, False)
            parent, _, attribute = path.rpartition("__") if path else (None, None, None)
            layout.append((path, parent or None, attribute, tuple(read), len(columns)))
            for column, is_datetime in read.items():
                column = column if path is None else f"{path}__{column}"
                columns.append(UtcMilliseconds(column) if is_datetime else column)
        queryset = self._queryset
        model = queryset([]).model
        self._build = _row_builder(layout, name=f"rows of {model._meta.label}")
        self._query = PreparedValuesQuery(lambda values: queryset(values).values_list(*columns))


def _row_builder(
    layout: list[tuple], *, name: str
) -> Callable[[list[tuple]], list[SimpleNamespace]]:
    """``build(rows)``: each fetched row as its nested objects, written out for ``layout``.

    For ``_LIST_ROWS`` the loop's body reads ``o0 = SimpleNamespace(id=r[0], status=r[1],
    ...)``, ``o1 = None if r[26] is None else SimpleNamespace(id=r[26], ...)``,
    ``o0.event = o1``: a third of the time of looping over the layout for every row.
    """
    names = {path: f"o{number}" for number, (path, *_) in enumerate(layout)}
    lines = []
    for path, parent, attribute, fields, first in layout:
        arguments = ", ".join(
            f"{identifier(field)}=r[{first + offset}]" for offset, field in enumerate(fields)
        )
        if path is None:
            lines.append(f"o0 = SimpleNamespace({arguments})")
            continue
        made = f"SimpleNamespace({arguments})"
        lines.append(f"{names[path]} = None if r[{first}] is None else {made}")
        assignment = f"{names[parent]}.{identifier(attribute)} = {names[path]}"
        if parent is None:
            lines.append(assignment)
        else:  # the parent may be a LEFT JOIN's miss
            lines.append(f"if {names[parent]} is not None: {assignment}")
    body = "".join(f"        {line}\n" for line in lines)
    source = (
        "def build(rows):\n    found = []\n    for r in rows:\n"
        f"{body}        found.append(o0)\n    return found\n"
    )
    return define(source, filename=f"<{name}>", namespace={"SimpleNamespace": SimpleNamespace})


def _columns(serializer_class: type[serializers.Serializer] | None) -> dict[str, bool]:
    """The columns a serializer reads itself, id first, each with whether it is a datetime
    (which PostgreSQL formats, ``UtcMilliseconds``): not its nested serializers (the
    shape joins those), nor its method fields (the selector adds their values, or the
    shape's extra columns what they read)."""
    columns = {"id": False}
    if serializer_class is None:  # a row no serializer shows (a link): its extras only
        return columns
    for field in serializer_class()._readable_fields:
        if isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField):
            continue
        columns.setdefault(
            "__".join(field.source_attrs), isinstance(field, UtcMillisecondDateTimeField)
        )
    return columns


def _by_id(model: type[Model], serializer: type[serializers.Serializer]) -> _NestedRows:
    return _NestedRows(
        lambda ids: model.objects.filter(pk__any_of=ids).order_by(), ((None, serializer, ()),)
    )


_LIST_ROWS = _NestedRows(
    lambda ids: Job.objects.filter(pk__any_of=ids).order_by(),
    (
        (None, JobSerializer, ("job_type_id", "job_type_rev_id", "error_id")),
        ("event", TriggerEventBriefSerializer, ()),
    ),
)
# (row attribute, the query for a page's ones by id)
_BRIEF_RELATIONS = (
    ("job_type", _by_id(JobType, JobTypeBriefSerializer)),
    ("job_type_rev", _by_id(JobTypeRevision, JobTypeRevisionBriefSerializer)),
    ("error", _by_id(Error, ErrorBriefSerializer)),
)
# DISTINCT ON (job_id) keeps one execution per job whatever the page size.
_NEWEST_EXECUTIONS = _NestedRows(
    lambda job_ids: (
        JobExecution.objects.filter(job_id__any_of=job_ids)
        .order_by("job_id", "-created", "-id")
        .distinct("job_id")
    ),
    ((None, JobExecutionSerializer, ()),),
)
_DETAILS = _NestedRows(
    lambda job_ids: Job.objects.filter(pk__any_of=job_ids).order_by(),
    (
        (None, JobDetailsSerializer, ()),
        ("job_type", JobTypeSerializer, ()),
        ("job_type_rev", JobTypeRevisionSerializer, ()),
        ("event", TriggerEventSerializer, ()),
        ("event__rule", TriggerRuleSerializer, ()),
        ("error", ErrorSerializer, ()),
    ),
)
_EXECUTIONS_NEWEST_FIRST = _NestedRows(
    lambda job_ids: JobExecution.objects.filter(job_id__any_of=job_ids).order_by("-created", "-id"),
    ((None, JobExecutionSerializer, ()),),
)
# Inputs show files as ScaleFileSerializer does, outputs as ProductFileSerializer (which
# reads more); get_data_type and file_url read the rest.
_FILES = _NestedRows(
    lambda ids: ScaleFile.objects.filter(pk__any_of=ids).order_by(),
    (
        (None, ProductFileSerializer, ("data_type", "file_path")),
        ("workspace", WorkspaceBriefSerializer, ("base_url",)),
    ),
)
# The input files of a page's jobs, through their links, in the order they were linked.
_INPUT_FILES = _NestedRows(
    lambda job_ids: JobInputFile.objects.filter(job_id__any_of=job_ids).order_by("id"),
    (
        (None, None, ("job_id", "input_file_id")),
        ("input_file", ScaleFileSerializer, ("data_type", "file_path")),
        ("input_file__workspace", WorkspaceBriefSerializer, ("base_url",)),
    ),
)
# A job is in a recipe at most once (unique recipe and job), so no duplicates.
_RECIPES_OLDEST_FIRST = _NestedRows(
    lambda job_ids: Recipe.objects.filter(recipe_jobs__job_id__any_of=job_ids).order_by(
        "created", "id"
    ),
    (
        (None, RecipeSerializer, ()),
        ("recipe_type", RecipeTypeBriefSerializer, ()),
        ("event", TriggerEventBriefSerializer, ()),
    ),
)


def job_rows() -> QuerySet[Job]:
    """``/jobs/`` and ``/jobs/executions/``: what is filtered, counted and paged, by
    ``last_modified`` then id. ``job_page`` and friends load the page's rows."""
    return Job.objects.order_by("last_modified", "id")


def job_update_rows() -> QuerySet[Job]:
    """``/jobs/updates/``: the same, by ``last_status_change`` then id."""
    return Job.objects.order_by("last_status_change", "id")


def job_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/`` page, by id: each job with its brief nested objects.

    Plain values, not model instances (building those per row and per relation was the
    main cost of a page), read by queries compiled once per process: the rows with their
    events (one per job), then the job types, revisions and errors they name, one query
    each. Those few become one object each, shared by every row that has them (and
    rendered once by the serializer); joining them into every row made PostgreSQL send,
    and psycopg2 parse, the same job type a thousand times for a 1000-row page.
    """
    rows = _LIST_ROWS.rows(ids)
    for name, query in _BRIEF_RELATIONS:
        related_id = attrgetter(f"{name}_id")
        wanted = set(map(related_id, rows)) - {None}
        found = {}
        if wanted:  # no query for a page without errors
            found = {related.id: related for related in query.rows(wanted)}
        for row in rows:
            setattr(row, name, found.get(related_id(row)))
    return {row.id: row for row in rows}


def job_update_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/updates/`` page: ``job_page`` plus each job's input files
    (``input_files``, each file once, in the order they were linked), in one more query
    that reads plain values as ``job_page`` does."""
    rows = job_page(ids)
    for row in rows.values():
        row.input_files = []
    seen: set[tuple[int, int]] = set()
    for link in _INPUT_FILES.rows(ids):
        row = rows.get(link.job_id)  # None: the job was deleted since its row was read
        if row is not None and (link.job_id, link.input_file_id) not in seen:
            seen.add((link.job_id, link.input_file_id))
            row.input_files.append(link.input_file)
    return rows


def job_execution_page(ids: Collection[int]) -> dict[int, SimpleNamespace]:
    """The rows of a ``/jobs/executions/`` page: ``job_page`` plus each job's newest
    execution (greatest created, then id) or None, in ``latest_job_exe``, in one query
    that reads plain values as ``job_page`` does."""
    rows = job_page(ids)
    for row in rows.values():
        row.latest_job_exe = None
    for execution in _NEWEST_EXECUTIONS.rows(ids):
        row = rows.get(execution.job_id)  # None: the job was deleted since its row was read
        if row is not None:
            row.latest_job_exe = execution
    return rows


def job_details() -> QuerySet[Job]:
    """What the view's ``get_queryset`` answers for details and cancel: DRF's model
    permissions read its model. ``job_details_get`` loads the job itself."""
    return Job.objects.order_by()


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
    job.job_exes_newest_first = _EXECUTIONS_NEWEST_FIRST.rows([job_id])
    job.recipes_oldest_first = _RECIPES_OLDEST_FIRST.rows([job_id])
    return job


def job_files(*, job) -> dict[int, SimpleNamespace]:
    """The files that the job's data and results reference, by id, in one query that
    reads plain values (with each file's workspace) as the job's own queries do."""
    # The JSON comes from outside: ids beyond PostgreSQL's bigint would fail the query.
    ids = {i for i in referenced_file_ids(job.data, job.results) if 0 < i <= PG_BIGINT_MAX}
    if not ids:
        return {}
    return {f.id: f for f in _FILES.rows(ids)}
