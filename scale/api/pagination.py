"""Page-number pagination that refuses bad input instead of guessing, and reads a page
in one statement.

DRF's own class silently clamps ``page_size`` and treats junk as the default; the
contract wants 1..1000, so anything else is a 400 naming the parameter. A page past the
end is a 404; page 1 of an empty result is an empty page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.db import models
from django.db.models import BigIntegerField, Expression, Q, QuerySet, Subquery
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from scale.api.filters import PG_BIGINT_MAX
from scale.api.rendering import RENDERED

# Longer numbers are refused before int(): no page count comes near 10**18.
MAX_DIGITS = 18


def parse_positive_int(params, name: str, *, default: int, maximum: int | None = None) -> int:
    """One integer query parameter in ``1..maximum``; a 400 naming ``name`` otherwise."""
    values = params.getlist(name)
    if not values:
        return default
    raw = values[-1]
    upper = f"{maximum}" if maximum else "any size"
    bounds = f"from 1 to {upper}" if maximum else "of at least 1"
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_DIGITS:
        raise ValidationError({name: f"must be a whole number {bounds}, not {values[-1]!r}."})
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise ValidationError({name: f"must be a whole number {bounds}, not {value}."})
    return value


class SubqueryCount(Subquery):
    """The number of rows of a queryset, as a sub-select of another statement."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS counted)"
    output_field = BigIntegerField()


class SubquerySum(Subquery):
    """The sum of the one column a queryset selects (``values("count")``), 0 for no rows."""

    template = "(SELECT coalesce(sum(summed.value), 0) FROM (%(subquery)s) AS summed(value))"
    output_field = BigIntegerField()


class FilterSetPaginator(Paginator):
    """Django's paginator over a validated FilterSet's rows, reading a page in one
    statement, which is its own snapshot: the page's ids (read alone, off the ordering
    index, so a deep page skips its offset there instead of rendering every skipped row),
    the JSON of those rows (``rows``: a queryset of the same model with the JSON as
    ``RENDERED``), in the FilterSet's order, and on each of them the count.

    The count is a sub-select of that statement (``count_expression``). A subclass may
    know it without counting rows: that is an endpoint's count strategy
    (``CounterPaginator``, which the job and execution lists use).
    """

    def __init__(self, filterset, rows: QuerySet, per_page: int) -> None:
        queryset = filterset.qs
        # An unordered queryset would let pages overlap or skip rows between requests.
        if not queryset.ordered:
            raise AssertionError(f"{filterset!r} pages an unordered queryset")
        super().__init__(queryset.values_list("pk", flat=True), per_page)
        self.filterset = filterset
        self.rows = rows
        # The page's rows are sorted as the FilterSet's query sorts them (its explicit
        # order: the endpoint's default, or the ``order`` parameter's).
        self.ordering = queryset.query.order_by

    def count_expression(self) -> Expression:
        """The number of the FilterSet's rows, as a sub-select of the page's statement."""
        return SubqueryCount(self.filterset.qs.order_by().values("pk"))

    def page_ids(self, bottom: int, top: int) -> QuerySet:
        """The ids of the rows from position ``bottom`` up to ``top``, in order, as a
        sub-select of the page's statement."""
        return self.object_list[bottom:top]

    def page(self, number: int) -> Page:
        bottom = (number - 1) * self.per_page
        if bottom + self.per_page > PG_BIGINT_MAX:
            # An OFFSET beyond PostgreSQL's bigint (a DataError): past any last page.
            raise EmptyPage(self.error_messages["no_results"])
        ids = self.page_ids(bottom, bottom + self.per_page)
        found = list(
            self.rows.filter(pk__in=ids)
            .order_by(*self.ordering)
            .values_list(RENDERED, self.count_expression())
        )
        if found:
            self.count = found[0][1]
        elif number > 1:
            # Past the last page (the message's page count is read apart).
            raise EmptyPage(self.error_messages["no_results"])
        else:
            self.count = 0
        return Page([text for text, _ in found], number, self)


class CounterPaginator(FilterSetPaginator):
    """A count summed from the few matching rows of a counter ledger when the query
    filters by nothing but what its keys answer, else counted from the rows themselves.

    ``counter`` is a ledger (``scale.counters``) of changes per key, kept exact by
    triggers in each writer's transaction (``job.models.JobCount``). The FilterSet's
    ``COUNTED_FILTERS`` map the filters the counter answers to the counter's fields
    (``{"job_type_id": "job_type"}``); ``order`` changes no count.

    ``window_counter``, when set, is a ledger of the same keys per time bucket of the
    field that ``started``/``ended`` window (``job.models.JobTimeCount``): a count with a
    window sums the window's whole buckets there, the widest that fit first
    (``window_buckets``), and counts from the rows only those in the partial minutes at
    its two edges. Both ways cost the same for a window of an hour or of a month.
    """

    counter: type[models.Model]
    window_counter: type[models.Model] | None = None

    def count_expression(self) -> Expression:
        filterset = self.filterset
        if not self.counts_from_keys():
            return super().count_expression()
        started = filterset.form.cleaned_data.get("started")
        ended = filterset.form.cleaned_data.get("ended")
        if started is None and ended is None:
            return SubquerySum(self.counted(self.counter).values("count"))
        finest = min(self.window_counter.WIDTHS)
        # The window [started, ended] is the whole buckets of [low, high), the rows from
        # started up to low and the rows from high to ended.
        low = None if started is None else _ceil(started, finest)
        high = None if ended is None else _floor(ended, finest)
        if low is not None and high is not None and low >= high:
            return super().count_expression()  # no whole minute: a minute or two of rows
        buckets = Q()
        for width, first, last in window_buckets(low, high, self.window_counter.WIDTHS):
            bounds = {"width": width}
            if first is not None:
                bounds["bucket__gte"] = first
            if last is not None:
                bounds["bucket__lt"] = last
            buckets |= Q(**bounds)
        total = SubquerySum(self.counted(self.window_counter).filter(buckets).values("count"))
        field = filterset.filters["started"].field_name
        rows = filterset.qs.order_by().values("pk")
        if low is not None:
            total += SubqueryCount(rows.filter(**{f"{field}__lt": low}))
        if high is not None:
            total += SubqueryCount(rows.filter(**{f"{field}__gte": high}))
        return total

    @cached_property
    def count(self) -> int:
        """The count alone, for Django's ``num_pages`` when a page is past the end."""
        if not self.counts_from_keys():
            return super().count
        model = self.object_list.model
        counts = model._default_manager.annotate(n=self.count_expression()).values_list("n")
        return next(iter(counts[:1]), (0,))[0]  # no rows at all: none to count

    def counts_from_keys(self) -> bool:
        """Whether the FilterSet filters by nothing but the counter's keys (and a time
        window, with ``window_counter``)."""
        filterset = self.filterset
        data = filterset.form.cleaned_data
        answered = {*filterset.COUNTED_FILTERS, "order"}
        if self.window_counter is not None:
            answered |= {"started", "ended"}
        return not any(data.get(name) for name in filterset.filters if name not in answered)

    def counted(self, counter: type[models.Model]) -> QuerySet:
        """The counter's rows of the keys the FilterSet selects."""
        filterset = self.filterset
        data = filterset.form.cleaned_data
        rows = counter._default_manager.order_by()
        for name, path in filterset.COUNTED_FILTERS.items():
            if value := data.get(name):
                lookup = filterset.filters[name].lookup_expr
                rows = rows.filter(**{f"{path}__{lookup}": value})
        return rows


_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # the buckets' alignment: a UTC midnight


def _floor(moment: datetime, width: int) -> datetime:
    return moment - (moment - _ORIGIN) % timedelta(seconds=width)


def _ceil(moment: datetime, width: int) -> datetime:
    floor = _floor(moment, width)
    return floor if floor == moment else floor + timedelta(seconds=width)


def window_buckets(
    low: datetime | None, high: datetime | None, widths: tuple[int, ...]
) -> list[tuple[int, datetime | None, datetime | None]]:
    """The fewest whole buckets that make up [low, high) (None: unbounded), as (width,
    first bucket, end of the last one) ranges; ``widths`` widest first, each a multiple
    of the next, ``low`` and ``high`` aligned to the narrowest."""
    width, *narrower = widths
    if not narrower:
        return [(width, low, high)] if low is None or high is None or low < high else []
    first = None if low is None else _ceil(low, width)
    last = None if high is None else _floor(high, width)
    if first is not None and last is not None and first >= last:
        return window_buckets(low, high, tuple(narrower))
    ranges = [(width, first, last)]
    if first is not None:
        ranges += window_buckets(low, first, tuple(narrower))
    if last is not None:
        ranges += window_buckets(last, high, tuple(narrower))
    return ranges


class StrictPageNumberPagination(PageNumberPagination):
    page_size = 100
    max_page_size = 1000
    page_query_param = "page"
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return parse_positive_int(
            request.query_params,
            self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def paginate_filterset(
        self,
        filterset,
        rows: QuerySet,
        request,
        *,
        django_paginator_class: type[FilterSetPaginator],
    ) -> list[str]:
        """The JSON texts of the requested page of the FilterSet's rows, in their order
        (``FilterSetPaginator``)."""
        paginator = django_paginator_class(filterset, rows, self.get_page_size(request))
        return self._page(paginator, request)

    def paginate_rows(self, rows: list, request) -> list:
        """The requested page of rows already computed in full (an aggregate's few rows,
        such as the hours of ``/load/``), with the same validation as every list."""
        return self._page(Paginator(rows, self.get_page_size(request)), request)

    def _page(self, paginator: Paginator, request) -> list:
        page_number = parse_positive_int(request.query_params, self.page_query_param, default=1)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(
                f"page: {page_number} is past the last page ({paginator.num_pages})."
            ) from exc
        self.request = request
        return list(self.page.object_list)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """``page`` and ``page_size`` as ``parse_positive_int`` accepts them."""
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page of the results to return (default 1); a page past "
                "the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 10**MAX_DIGITS - 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"The number of results per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """The envelope of every list: all four keys are always present."""
        page_url = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "description": "A page of results: how many match the query parameters in all, "
            "the URLs of the next and previous pages, and this page's results.",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                # The examples (the contract's) frame an operation's example row in a page.
                "count": {
                    "type": "integer",
                    "description": "The number of results that match the query parameters.",
                    "example": 68,
                },
                "next": {
                    **page_url, "description": "The URL of the next page, or null.", "example": None
                },
                "previous": {
                    **page_url,
                    "description": "The URL of the previous page, or null.",
                    "example": None,
                },
                # drf-spectacular passes a placeholder, not a schema, to frame examples.
                "results": {
                    **schema,
                    "description": "List of result JSON objects that match the query "
                    "parameters.",
                } if isinstance(schema, dict) else schema,
            },
        }
