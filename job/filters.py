"""The query parameters of the job lists, each declared under its API name."""

from datetime import datetime, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from error.models import Error
from job import metrics
from job.models import Job, JobDayCount, JobLoadChange, JobType
from scale.api.filters import (
    DateTimeOrDurationFilter,
    IdField,
    MultiValueFilter,
    OrderFilter,
    ScaleFilterSet,
    TimeWindowFilterSet,
    choice_filter,
    fixed_choices,
    id_filter,
    text_filter,
)

# What ``order`` accepts, written out: a field added to the job row does not become a sort
# key by accident. The job's own columns and the Django-style paths that clients sort job
# lists by (``order=job_type__name&order=-job_type__version``).
JOB_ORDER_FIELDS = (
    "id",
    "status",
    "priority",
    "num_exes",
    "timeout",
    "max_tries",
    "cpus_required",
    "mem_required",
    "disk_in_required",
    "disk_out_required",
    "created",
    "queued",
    "started",
    "ended",
    "last_status_change",
    "last_modified",
    "job_type",
    "job_type__id",
    "job_type__name",
    "job_type__version",
    "job_type__title",
    "job_type__category",
    "job_type__priority",
    "job_type_rev",
    "job_type_rev__revision_num",
    "event",
    "event__type",
    "event__occurred",
    "error",
    "error__name",
    "error__title",
    "error__category",
)


class JobFilterSet(TimeWindowFilterSet):
    """Parameters shared by ``/jobs/``, ``/jobs/updates/`` and ``/jobs/executions/``."""

    status = choice_filter(
        "status", choices=Job.Status.choices, label="Only jobs with this status (repeatable)."
    )
    job_type_id = id_filter("job_type", label="Only jobs of this job type id (repeatable).")
    job_type_name = text_filter(
        "job_type__name", label="Only jobs of a job type with this name (repeatable)."
    )
    job_type_category = text_filter(
        "job_type__category", label="Only jobs of a job type in this category (repeatable)."
    )
    error_category = choice_filter(
        "error__category",
        choices=Error.Category.choices,
        label="Only jobs whose error is in this category (repeatable).",
    )
    order = OrderFilter(
        allowed=JOB_ORDER_FIELDS,
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    # The filters that job_count can answer (``JobCountPaginator``), and the field of
    # job_count each filters: its columns, or columns of the rows they name.
    COUNTED_FILTERS = {
        "status": "status",
        "job_type_id": "job_type",
        "job_type_name": "job_type__name",
        "job_type_category": "job_type__category",
        "error_category": "error__category",
    }

    class Meta:
        model = Job
        fields: list[str] = []


class JobListFilterSet(JobFilterSet):
    """``/jobs/`` also takes ``job_id``."""

    job_id = id_filter("id", label="Only the job with this id (repeatable).")

    class Meta(JobFilterSet.Meta):
        pass


class JobUpdateFilterSet(JobFilterSet):
    """``/jobs/updates/``: ordered by ``last_status_change``, windowed on ``last_modified``
    (``job.pagination.JobUpdatePaginator`` reads such a window in order)."""

    class Meta(JobFilterSet.Meta):
        pass


class JobTypeFilterSet(TimeWindowFilterSet):
    """``/job-types/``: ``started``/``ended`` on ``last_modified``, ``name``, ``category``."""

    name = text_filter("name", label="Only job types with this name (repeatable).")
    category = text_filter("category", label="Only job types in this category (repeatable).")
    order = OrderFilter(
        allowed=(
            "id",
            "name",
            "version",
            "title",
            "category",
            "priority",
            "is_active",
            "is_paused",
            "created",
            "last_modified",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = JobType
        fields: list[str] = []


def _window_only(queryset: QuerySet, name: str, value) -> QuerySet:
    """``started``/``ended`` of ``/job-types/status/`` select no job types: they bound the
    counts (``JobTypeStatusSerializer.for_window``)."""
    return queryset


class JobTypeStatusFilterSet(TimeWindowFilterSet):
    """``/job-types/status/``: every job type; ``started``/``ended`` bound its counts (the
    last 3 hours by default); RUNNING jobs are counted whenever they started."""

    started = DateTimeOrDurationFilter(
        method=_window_only,
        label="Start of the window on the jobs' last_status_change (default: 3 hours ago): "
        "an ISO-8601 datetime with a timezone, or a duration meaning now minus it (PT3H).",
    )
    ended = DateTimeOrDurationFilter(
        method=_window_only,
        label="End of that window (default: now), in the same forms as started.",
    )

    class Meta:
        model = JobType
        fields: list[str] = []


class NoParametersFilterSet(ScaleFilterSet):
    """An aggregate list that takes no parameter but the page."""

    class Meta:
        fields: list[str] = []


def _read_by_the_view(queryset: QuerySet, name: str, value) -> QuerySet:
    """A parameter that selects no rows itself: the view reads its cleaned value."""
    return queryset


LOAD_MAX_WINDOW = timedelta(days=31)


class JobLoadFilterSet(TimeWindowFilterSet):
    """``/load/``: the hours of the window (at most 31 days; the last 7 days by default),
    counting the jobs of the job types selected."""

    started = DateTimeOrDurationFilter(
        method=_read_by_the_view,
        label="Start of the window (default: midnight UTC 7 days ago): an ISO-8601 datetime "
        "with a timezone, or a duration meaning now minus it (PT3H).",
    )
    ended = DateTimeOrDurationFilter(
        method=_read_by_the_view,
        label="End of the window (default: now), in the same forms as started; at most 31 "
        "days after started.",
    )
    job_type_id = id_filter("job_type", label="Count only jobs of this job type id (repeatable).")
    job_type_name = text_filter(
        "job_type__name", label="Count only jobs of a job type with this name (repeatable)."
    )
    job_type_category = text_filter(
        "job_type__category", label="Count only jobs of a job type in this category (repeatable)."
    )
    job_type_priority = MultiValueFilter(
        field_name="job_type__priority",
        child=IdField(),
        label="Count only jobs of a job type with this priority (repeatable).",
    )

    class Meta:
        model = JobLoadChange
        fields: list[str] = []

    def window(self) -> tuple[datetime, datetime]:
        """The window's bounds, defaults applied (``is_valid`` first)."""
        data = self.form.cleaned_data
        now = timezone.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return data.get("started") or midnight - timedelta(days=7), data.get("ended") or now

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        started, ended = self.window()
        if started > ended:
            self.form.add_error("started", "must not be after ended (default: now).")
            return False
        if ended - started > LOAD_MAX_WINDOW:
            self.form.add_error("started", "the window may span at most 31 days.")
            return False
        return True


def _on_or_after_the_day(queryset: QuerySet, name: str, value: datetime) -> QuerySet:
    return queryset.filter(occurred__gte=value.date())


def _on_or_before_the_day(queryset: QuerySet, name: str, value: datetime) -> QuerySet:
    return queryset.filter(occurred__lte=value.date())


class JobTypeMetricsFilterSet(TimeWindowFilterSet):
    """``/metrics/job-types/plot-data/``: the days (UTC) of the window, the job types
    (``choice_id``) and the columns plotted."""

    started = DateTimeOrDurationFilter(
        method=_on_or_after_the_day,
        label="Only the days from this one (its UTC date): an ISO-8601 datetime with a "
        "timezone, or a duration meaning now minus it (P30D).",
    )
    ended = DateTimeOrDurationFilter(
        method=_on_or_before_the_day,
        label="Only the days up to this one (its UTC date), in the same forms as started.",
    )
    choice_id = id_filter(
        "job_type",
        label="Only these job types (repeatable); with two or more, each value names its "
        "job type (id), otherwise the values of a day are summed.",
    )
    column = MultiValueFilter(
        method=_read_by_the_view,
        child=forms.ChoiceField(
            choices=fixed_choices((name, name) for name in metrics.JOB_TYPES.column_names()),
            error_messages={
                "invalid_choice": "must be one of "
                + ", ".join(metrics.JOB_TYPES.column_names()) + "."
            },
        ),
        label="The columns to plot, in this order (repeatable); default: every column.",
    )
    group = MultiValueFilter(
        method=_read_by_the_view,
        child=forms.ChoiceField(
            choices=fixed_choices((group.name, group.name) for group in metrics.JOB_TYPES.groups),
            error_messages={
                "invalid_choice": "must be one of "
                + ", ".join(group.name for group in metrics.JOB_TYPES.groups) + "."
            },
        ),
        label="Also plot every column of this group (repeatable).",
    )

    class Meta:
        model = JobDayCount
        fields: list[str] = []
