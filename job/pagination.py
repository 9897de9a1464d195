"""The count strategy of the job lists: exact counts from ``job_count`` where it can answer."""

from __future__ import annotations

from job.models import JobCount
from scale.api.pagination import CounterPaginator


class JobCountPaginator(CounterPaginator):
    """A job list's count, summed from ``job_count`` when the query filters by nothing but
    its keys (``COUNTED_FILTERS`` of the job FilterSets), else counted from the jobs.

    Both are exact: the triggers on ``job`` keep ``job_count`` in the writer's own
    transaction, and the count is read in the page's own statement.
    """

    counter = JobCount
