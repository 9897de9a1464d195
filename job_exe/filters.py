"""The query parameters of ``/job-executions/`` and ``/nodes/``, under their API names."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from job_exe.models import JobExecution, Node
from scale.api.filters import (
    DateTimeOrDurationFilter,
    OrderFilter,
    StrictBooleanFilter,
    TimeWindowFilterSet,
    choice_filter,
    id_filter,
    text_filter,
)


class JobExecutionFilterSet(TimeWindowFilterSet):
    """``started``/``ended`` on ``last_modified``, as for jobs."""

    status = choice_filter(
        "status",
        choices=JobExecution.Status.choices,
        label="Only executions with this status (repeatable).",
    )
    job_type_id = id_filter(
        "job__job_type", label="Only executions of jobs of this job type id (repeatable)."
    )
    job_type_name = text_filter(
        "job__job_type__name",
        label="Only executions of jobs of a job type with this name (repeatable).",
    )
    job_type_category = text_filter(
        "job__job_type__category",
        label="Only executions of jobs of a job type in this category (repeatable).",
    )
    node_id = id_filter("node", label="Only executions that ran on this node (repeatable).")
    order = OrderFilter(
        allowed=(
            "id",
            "status",
            "created",
            "queued",
            "started",
            "ended",
            "last_modified",
            "job",
            "node",
            "node__hostname",
            "job__job_type__name",
            "job__job_type__version",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    # The filters that job_exe_count can answer (``JobExecutionCountPaginator``), and the
    # field of job_exe_count each filters.
    COUNTED_FILTERS = {
        "status": "status",
        "job_type_id": "job_type",
        "job_type_name": "job_type__name",
        "job_type_category": "job_type__category",
        "node_id": "node",
    }

    class Meta:
        model = JobExecution
        fields: list[str] = []


class NodeFilterSet(TimeWindowFilterSet):
    """``/nodes/``: ``started``/``ended`` on ``last_modified``, ``include_inactive``,
    ``order``. Nodes are a cluster's hosts, few enough to sort on any listed field."""

    include_inactive = StrictBooleanFilter(
        method="filter_include_inactive",
        label="true to include the nodes no longer active in the cluster (default false).",
    )
    order = OrderFilter(
        allowed=(
            "id",
            "hostname",
            "port",
            "slave_id",
            "is_paused",
            "is_active",
            "archived",
            "created",
            "last_modified",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = Node
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Node]) -> QuerySet[Node]:
        # Inactive nodes are left out unless asked for: the default applies when the
        # parameter is absent, which a filter method alone would never see.
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_inactive"):
            queryset = queryset.filter(is_active=True)
        return queryset

    def filter_include_inactive(self, queryset: QuerySet[Node], name: str, value) -> QuerySet:
        return queryset


# Scale counted a node's executions of the last three hours unless told otherwise.
DEFAULT_STATUS_WINDOW = timedelta(hours=3)


class NodeStatusFilterSet(TimeWindowFilterSet):
    """``/nodes/status/``: ``started``/``ended`` choose which executions are counted (on
    their ``last_modified``; ``started`` defaults to three hours ago); the nodes listed are
    always the active ones."""

    started = DateTimeOrDurationFilter(
        method="filter_window",
        label="Start of the window of executions counted, on their last_modified (default "
        "PT3H, three hours ago): an ISO-8601 datetime with a timezone, or a duration meaning "
        "now minus it (PT3H0M0S).",
    )
    ended = DateTimeOrDurationFilter(
        method="filter_window",
        label="End of the window of executions counted, in the same forms as started "
        "(default: now).",
    )

    class Meta:
        model = Node
        fields: list[str] = []

    def filter_window(self, queryset: QuerySet[Node], name: str, value) -> QuerySet[Node]:
        return queryset  # the window selects executions, not nodes: execution_window()

    def execution_window(self) -> tuple[datetime, datetime | None]:
        """The window of executions to count, once the FilterSet is valid."""
        data = self.form.cleaned_data
        return data.get("started") or timezone.now() - DEFAULT_STATUS_WINDOW, data.get("ended")
