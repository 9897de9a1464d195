"""The query parameters of ``/job-executions/``, each declared under its API name."""

from job_exe.models import JobExecution
from scale.api.filters import (
    OrderFilter,
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

    class Meta:
        model = JobExecution
        fields: list[str] = []
