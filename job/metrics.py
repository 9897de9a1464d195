"""The metrics types of ``/metrics/`` (metrics.rst): what each one plots and how.

One type here, ``job-types``, with two kinds of columns:

- counts: the jobs of each job type that ended on each day (UTC), counted by how they
  ended, read from ``job_day_count`` (``job.models.JobDayCount``), which the triggers on
  ``job`` keep exact. Such a column is a sum over that table's rows of a day and job type;
  its ``counts`` names those rows.
- times, in seconds: the executions of each job type that COMPLETED on each day (UTC, by
  the execution's ``ended``), as Scale measured them: the time each waited in the queue,
  its pre, job and post tasks took, it ran, and the rest of its run (stage: the system's
  overhead). Such a column (its ``measure``, one of ``EXECUTION_MEASURES``) is the sum,
  least, greatest or mean of that time over those executions, read from
  ``job_exe_day_time`` (``job_exe.models.JobExecutionDayTime``); an execution for which a
  time is not known (a task that never ran) is not counted in its mean. Values are whole
  seconds, rounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from error.models import Error
from job.models import Job


@dataclass(frozen=True)
class MetricsFilter:
    """A field of the choices that clients may filter them by."""

    param: str
    type: str


@dataclass(frozen=True)
class MetricsGroup:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class MetricsColumn:
    """One plotted statistic: per day (and job type), either the sum of ``count`` over the
    ``job_day_count`` rows that ``counts`` selects, or the ``aggregate`` of an execution
    time (``measure``) over the day's completed executions."""

    name: str
    title: str
    description: str
    units: str
    group: str
    aggregate: str
    counts: Q | None = field(default=None, compare=False)
    measure: str | None = None


@dataclass(frozen=True)
class MetricsType:
    name: str
    title: str
    description: str
    filters: tuple[MetricsFilter, ...]
    groups: tuple[MetricsGroup, ...]
    columns: tuple[MetricsColumn, ...]
    # Other names clients send for columns (see JOB_TYPES).
    column_aliases: dict[str, str] = field(default_factory=dict, compare=False)

    def column(self, name: str) -> MetricsColumn:
        name = self.column_aliases.get(name, name)
        return next(column for column in self.columns if column.name == name)

    def column_names(self) -> list[str]:
        return [column.name for column in self.columns] + list(self.column_aliases)

    def selected_columns(self, names: list[str], groups: list[str]) -> list[MetricsColumn]:
        """The columns named, in the order given, then those of each group named (in
        their declared order); each once. Neither: every column."""
        selected = [self.column(name) for name in names]
        for group in groups:
            selected += [column for column in self.columns if column.group == group]
        if not names and not groups:
            selected = list(self.columns)
        return list(dict.fromkeys(selected))


def _count(name: str, title: str, description: str, group: str, counts: Q) -> MetricsColumn:
    return MetricsColumn(name, title, description, "count", group, "sum", counts=counts)


_AGGREGATES = (("sum", "Sum", "Total"), ("min", "Min", "Minimum"), ("max", "Max", "Maximum"),
               ("avg", "Avg", "Average"))


def _times(measure: str, title: str, about: str) -> tuple[MetricsColumn, ...]:
    """The four columns of one execution time: ``<measure>_time_{sum,min,max,avg}``."""
    group = f"{measure}_time"
    return tuple(
        MetricsColumn(f"{group}_{aggregate}", f"{title} ({short})", f"{word} {about}",
                      "seconds", group, aggregate, measure=measure)
        for aggregate, short, word in _AGGREGATES
    )


_FINISHED = Q(status__in=Job.FINISHED_STATUSES)

JOB_TYPES = MetricsType(
    name="job-types",
    title="Job Types",
    description="Metrics for jobs and executions grouped by job type.",
    filters=(MetricsFilter("name", "string"), MetricsFilter("version", "string")),
    groups=(
        MetricsGroup("overview", "Overview", "Overall counts based on job status."),
        MetricsGroup("errors", "Errors", "Overall error counts based on category."),
        MetricsGroup("queue_time", "Queue Time", "When jobs were in the queue."),
        MetricsGroup("pre_time", "Pre-task Time", "When jobs were being prepared."),
        MetricsGroup("job_time", "Job Task Time", "When jobs were executing their actual goal."),
        MetricsGroup("post_time", "Post-task Time", "When jobs were being cleaned up."),
        MetricsGroup("run_time", "Run Time", "When related tasks were run (pre, job, post)."),
        MetricsGroup("stage_time", "Stage Time", "Times related to the overhead of the system."),
    ),
    columns=(
        _count("completed_count", "Completed Count", "Number of successfully completed jobs.",
               "overview", Q(status=Job.Status.COMPLETED)),
        _count("failed_count", "Failed Count", "Number of incomplete failed jobs.",
               "overview", Q(status=Job.Status.FAILED)),
        _count("canceled_count", "Canceled Count", "Number of incomplete canceled jobs.",
               "overview", Q(status=Job.Status.CANCELED)),
        _count("total_count", "Total Count", "Number of completed, failed, and canceled jobs.",
               "overview", _FINISHED),
        _count("error_system_count", "System Error Count",
               "Number of failed jobs due to a system error.",
               "errors", Q(error__category=Error.Category.SYSTEM)),
        _count("error_data_count", "Data Error Count",
               "Number of failed jobs due to a data error.",
               "errors", Q(error__category=Error.Category.DATA)),
        _count("error_algorithm_count", "Algorithm Error Count",
               "Number of failed jobs due to an algorithm error.",
               "errors", Q(error__category=Error.Category.ALGORITHM)),
        *_times("queue", "Queue Time", "time the job waited in the queue."),
        *_times("pre", "Pre-task Time", "time spent preparing the job task."),
        *_times("job", "Job Task Time", "time spent running the job task."),
        *_times("post", "Post-task Time", "time spent finalizing the job task."),
        *_times("run", "Run Time", "time spent running the pre, job, and post tasks."),
        *_times("stage", "Stage Time", "overhead time spent managing tasks."),
    ),
    # The Scale 3.0.0 web UI's Failure Rates page asks for the error counts under these
    # names (Scale's own server named them error_<category>_count, and 3.1.0's UI did).
    column_aliases={
        "system_error_count": "error_system_count",
        "data_error_count": "error_data_count",
        "algorithm_error_count": "error_algorithm_count",
    },
)

METRICS_TYPES: dict[str, MetricsType] = {JOB_TYPES.name: JOB_TYPES}
