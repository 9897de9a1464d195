"""The count strategy of ``/job-executions/``: exact counts from ``job_exe_count``."""

from __future__ import annotations

from job_exe.models import JobExecutionCount
from scale.api.pagination import CounterPaginator


class JobExecutionCountPaginator(CounterPaginator):
    """The count summed from ``job_exe_count`` when the query filters by nothing but its
    keys (``JobExecutionFilterSet.COUNTED_FILTERS``), else counted from the executions."""

    counter = JobExecutionCount
