"""The count strategy of the job lists: exact counts from ``job_count`` where it can answer."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.functional import cached_property

from job.models import JobCount
from scale.api.pagination import FilterSetPaginator


class JobCountPaginator(FilterSetPaginator):
    """A job list's count, summed from the few matching rows of ``job_count`` when the
    query filters by nothing but its columns (``COUNTED_FILTERS`` of the FilterSet;
    ``order`` changes no count), else counted from the jobs themselves.

    Both are exact: the triggers on ``job`` keep ``job_count`` in the writer's own
    transaction, and the page is read in one snapshot with its count.
    """

    @cached_property
    def count(self) -> int:
        filterset = self.filterset
        data = filterset.form.cleaned_data
        counted = (*filterset.COUNTED_FILTERS, "order")
        if any(data.get(name) for name in filterset.filters if name not in counted):
            return super().count
        counts = JobCount.objects.all()
        for name in filterset.COUNTED_FILTERS:
            # The same filters on job_count's columns of the same names.
            counts = filterset.filters[name].filter(counts, data.get(name))
        return counts.aggregate(total=Sum("count"))["total"] or 0
