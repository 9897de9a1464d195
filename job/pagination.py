"""The count strategy of the job lists: exact counts from the job ledgers where they answer."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from job.models import LAGGING, STATUS_LAG, JobCount, JobTimeCount
from scale.api.pagination import CounterPaginator


class JobCountPaginator(CounterPaginator):
    """A job list's count, summed from ``job_count`` when the query filters by nothing but
    its keys (``COUNTED_FILTERS`` of the job FilterSets), from ``job_time_count`` when it
    also has a time window, else counted from the jobs.

    All are exact: the triggers on ``job`` keep both ledgers in the writer's own
    transaction, and the count is read in the page's own statement.
    """

    counter = JobCount
    window_counter = JobTimeCount


class JobUpdatePaginator(JobCountPaginator):
    """``/jobs/updates/``: the jobs modified within the window, by ``last_status_change``.

    The window is on ``last_modified``, the order on ``last_status_change``, which no one
    index serves. But a job's status changes when it is modified or before, so the
    window's jobs, by ``last_status_change``, are those whose status changed within it
    (read off the ``last_status_change`` index from the window's start), then the few
    that were modified within the window after a status change before it: within a
    minute before the window's start (that index again), never (a null
    ``last_status_change``, which sorts last), or more than a minute later. Each of the
    first three parts reads at most the rows up to the page's end, in order. The last is
    read whole, unordered: the partial index of such jobs (``job_status_lag_idx``) holds
    them by ``last_modified``, so it gives just the window's, which are few (336 in the
    last hour of 10M demo jobs). Read in ``last_status_change`` order, it would pass
    every such job whose status changed before the window, however old. The page is
    taken from the parts. Only the default order reads this way.
    """

    def page_ids(self, bottom: int, top: int) -> QuerySet:
        parts = self.window_parts()
        if parts is None:
            return super().page_ids(bottom, top)
        return self._from_parts(parts, top)[bottom:top]

    def seek_ids(self, condition: Q, limit: int, *, backwards: bool) -> QuerySet:
        """A page followed by key reads the same parts, each from the key on."""
        parts = self.window_parts()
        if parts is None:
            return super().seek_ids(condition, limit, backwards=backwards)
        sought = [part.filter(condition) for part in parts]
        return self._from_parts([p.reverse() for p in sought] if backwards else sought, limit)

    def _from_parts(self, parts: list[QuerySet], limit: int) -> QuerySet:
        """The ids of the window's jobs among the first ``limit`` of each ordered part
        and all of an unordered one, in the FilterSet's order."""
        first, *others = (part.values("pk")[:limit] if part.ordered else part.values("pk")
                          for part in parts)
        candidates = first.union(*others, all=True)
        return self.filterset.qs.filter(pk__in=candidates).values_list("pk", flat=True)

    def window_parts(self) -> list[QuerySet] | None:
        """The window's jobs in their four parts, the last unordered (it is read whole);
        None without a window or with an ``order`` of the client's."""
        started = self.filterset.form.cleaned_data.get("started")
        if started is None or self.filterset.form.cleaned_data.get("order"):
            return None
        jobs = self.filterset.qs
        # STATUS_LAG before the window (at the earliest, the calendar's first moment).
        lagged = max(started, datetime.min.replace(tzinfo=UTC) + STATUS_LAG) - STATUS_LAG
        return [
            jobs.filter(last_status_change__gte=started),
            jobs.filter(last_status_change__gte=lagged, last_status_change__lt=started),
            jobs.filter(last_status_change__isnull=True),
            jobs.filter(LAGGING, last_status_change__lt=lagged).order_by(),
        ]
