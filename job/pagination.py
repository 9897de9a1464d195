"""The count strategy of the job lists: exact counts from ``job_count`` where it can answer."""

from __future__ import annotations

from django.db.models import Expression, QuerySet, Sum
from django.utils.functional import cached_property

from job.models import JobCount
from scale.api.pagination import FilterSetPaginator, SubquerySum


class JobCountPaginator(FilterSetPaginator):
    """A job list's count, summed from the few matching rows of ``job_count`` when the
    query filters by nothing but its columns (``COUNTED_FILTERS`` of the FilterSet;
    ``order`` changes no count), else counted from the jobs themselves.

    Both are exact: the triggers on ``job`` keep ``job_count`` in the writer's own
    transaction, and the count is read in the page's own statement.
    """

    def count_expression(self) -> Expression:
        counts = self.job_counts()
        if counts is None:
            return super().count_expression()
        return SubquerySum(counts.order_by().values("count"))

    @cached_property
    def count(self) -> int:
        counts = self.job_counts()
        if counts is None:
            return super().count
        return counts.aggregate(total=Sum("count"))["total"] or 0

    def job_counts(self) -> QuerySet | None:
        """The rows of ``job_count`` whose sum is the count, or None when the FilterSet
        filters by more than their columns."""
        filterset = self.filterset
        data = filterset.form.cleaned_data
        counted = (*filterset.COUNTED_FILTERS, "order")
        if any(data.get(name) for name in filterset.filters if name not in counted):
            return None
        counts = JobCount.objects.all()
        for name in filterset.COUNTED_FILTERS:
            # The same filters on job_count's columns of the same names.
            counts = filterset.filters[name].filter(counts, data.get(name))
        return counts
