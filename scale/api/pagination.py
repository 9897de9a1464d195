"""Page-number pagination that refuses bad input instead of guessing, and reads a page
in one statement.

DRF's own class silently clamps ``page_size`` and treats junk as the default; the
contract wants 1..1000, so anything else is a 400 naming the parameter. A page past the
end is a 404; page 1 of an empty result is an empty page.

Deep pages are read by key, not by offset. ``next`` keeps the contract's ``page=N+1`` and
adds ``after``, a token holding the sort key of page N's last row (``previous`` adds
``before``, the key of its first row): page N+1 is then the rows after that key, read by
seeking the ordering index, whatever N. A page asked for without a token (an old link, a
direct jump to ``page=K``) is read by offset, and so is one whose token was made for
another page, page size, order or filters: the answer is the same page either way. A
token that this service did not make is a 400. Clients that want no page numbers at all
page by ``cursor`` (``cursor=start``, then the ``next``/``previous`` links).

Between two requests rows may change. Followed by key, page N+1 starts right after the
last row the client saw on page N, whatever was added or removed before it (no row seen
twice or skipped for that reason); read by offset, it is the N+1-th slice of the rows as
they are now. ``count`` is always the number of rows now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.db import models
from django.db.models import BigIntegerField, Expression, Q, QuerySet, Subquery
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from scale.api.filters import PG_BIGINT_MAX
from scale.api.rendering import RENDERED
from scale.api.seek import (
    Position,
    make_token,
    read_token,
    request_digest,
    seek_parts,
    sort_keys,
)
from scale.counters import BUCKET_ORIGIN

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


class KeyedPage(Page):
    """A page with the sort keys of its first and last rows (None for an empty page, or
    an order that cannot be sought): the tokens of its ``previous`` and ``next`` links."""

    def __init__(self, rows: list, number: int, paginator: FilterSetPaginator) -> None:
        super().__init__([text for text, _ in rows], number, paginator)
        self.first_key = rows[0][1] if rows else None
        self.last_key = rows[-1][1] if rows else None


@dataclass
class CursorPage:
    """A page read by cursor: its rows, the sort keys of the first and last, and whether
    rows follow it (``has_next``) and precede it (``has_previous``)."""

    object_list: list[str]
    first_key: tuple | None
    last_key: tuple | None
    has_next: bool
    has_previous: bool
    paginator: FilterSetPaginator


class FilterSetPaginator(Paginator):
    """Django's paginator over a validated FilterSet's rows, reading a page in one
    statement, which is its own snapshot: the page's ids (read alone, off the ordering
    index), the JSON of those rows (``rows``: a queryset of the same model with the JSON
    as ``RENDERED``), in the FilterSet's order, and on each of them the count and the
    row's sort key (``keys``, None when the order cannot be sought:
    ``scale.api.seek.sort_keys``).

    The ids are those at an offset (``page(number)``), or those after or before a row's
    sort key (``page(number, position)``, ``cursor_page``): the index is then entered at
    that key, and a deep page costs what the first does.

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
        self.keys = sort_keys(queryset)

    def count_expression(self) -> Expression:
        """The number of the FilterSet's rows, as a sub-select of the page's statement."""
        return SubqueryCount(self.filterset.qs.order_by().values("pk"))

    def page_ids(self, bottom: int, top: int) -> QuerySet:
        """The ids of the rows from position ``bottom`` up to ``top``, in order, as a
        sub-select of the page's statement."""
        return self.object_list[bottom:top]

    def seek_ids(self, condition: Q, limit: int, *, backwards: bool) -> QuerySet:
        """The ids of the first ``limit`` rows that meet a seek condition
        (``scale.api.seek.seek_parts``), in order (``backwards``: in reverse order, the
        condition being one of rows before a key), as a sub-select of the page's
        statement; the page is taken from them in order.

        A paginator whose FilterSet's rows are read in parts (``page_ids`` of
        ``job.pagination.JobUpdatePaginator``) applies the condition to each part."""
        queryset = self.filterset.qs.filter(condition)
        if backwards:
            queryset = queryset.reverse()
        return queryset.values_list("pk", flat=True)[:limit]

    def page(self, number: int, position: Position | None = None) -> KeyedPage:
        """Page ``number``: the rows at its offset, or those after (before) ``position``,
        the last row of the page before it (the first of the page after it)."""
        if position is None:
            bottom = (number - 1) * self.per_page
            if bottom + self.per_page > PG_BIGINT_MAX:
                # An OFFSET beyond PostgreSQL's bigint (a DataError): past any last page.
                raise EmptyPage(self.error_messages["no_results"])
            found = self.read(self.page_ids(bottom, bottom + self.per_page))
        else:
            found = self.read_sought(position, self.per_page)
        if not found:
            if number > 1:
                # Past the last page (the message's page count is read apart).
                raise EmptyPage(self.error_messages["no_results"])
            if position is None:
                self.count = 0
        return KeyedPage(found, number, self)

    def cursor_page(self, position: Position | None) -> CursorPage:
        """The rows after (before) ``position``, or the first ones; one more is read to
        tell whether more rows follow (precede) them."""
        limit = self.per_page + 1
        if position is None:
            found = self.read(self.page_ids(0, limit))
            if not found:
                self.count = 0
        else:
            # Without rows, the count is read apart (the rows changed meanwhile).
            found = self.read_sought(position, limit)
        backwards = position is not None and position.before
        more = len(found) > self.per_page
        if more:
            found = found[1:] if backwards else found[:-1]
        return CursorPage(
            [text for text, _ in found],
            found[0][1] if found else None,
            found[-1][1] if found else None,
            has_next=bool(found) if backwards else more,
            has_previous=more if backwards else position is not None and bool(found),
            paginator=self,
        )

    def read_sought(self, position: Position, limit: int) -> list[tuple[str, tuple | None]]:
        """The ``limit`` rows nearest ``position`` after it (before it), in order.

        Each stretch of the order after the key (``seek_parts``) gives its first
        ``limit`` ids off the index, and the page is the first ``limit`` of those."""
        ids = [
            self.seek_ids(condition, limit, backwards=position.before)
            for condition in seek_parts(self.keys, position.values, before=position.before)
        ]
        union = ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0]
        return self.read(union, limit=limit, backwards=position.before)

    def read(
        self, ids: QuerySet, *, limit: int | None = None, backwards: bool = False
    ) -> list[tuple[str, tuple | None]]:
        """The JSON and the sort key of the rows of ``ids`` in order (the last ``limit``
        of them with ``backwards``, else the first); sets the count."""
        columns = [key.expression for key in self.keys or ()]
        rows = self.rows.filter(pk__in=ids).order_by(*self.ordering)
        if backwards:
            rows = rows.reverse()
        if limit is not None:
            rows = rows[:limit]
        found = list(rows.values_list(RENDERED, self.count_expression(), *columns))
        if backwards:
            found.reverse()
        if found:
            self.count = found[0][1]
        return [(row[0], tuple(row[2:]) if self.keys else None) for row in found]


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
        try:
            low = None if started is None else _ceil(started, finest)
        except OverflowError:  # within the calendar's last minute
            return super().count_expression()
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


def _floor(moment: datetime, width: int) -> datetime:
    return moment - (moment - BUCKET_ORIGIN) % timedelta(seconds=width)


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
    """``page``/``page_size`` as the contract defines them, the page links with the
    tokens that let the next page be sought by key (``after``, ``before``), and the
    opt-in paging by ``cursor`` (see the module's docstring)."""

    page_size = 100
    max_page_size = 1000
    page_query_param = "page"
    page_size_query_param = "page_size"
    after_query_param = "after"
    before_query_param = "before"
    cursor_query_param = "cursor"
    cursor_start = "start"

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
        (``FilterSetPaginator``): by cursor when the request has one, else page
        ``page``, sought from the neighbouring page's row when its token is for it."""
        paginator = django_paginator_class(filterset, rows, self.get_page_size(request))
        self.request = request
        params = request.query_params
        self.digest = request_digest(paginator.keys, params) if paginator.keys else None
        if self.cursor_query_param in params:
            self.page = paginator.cursor_page(self._cursor_position(paginator, params))
            return self.page.object_list
        number = self._page_number(request)
        return self._page(paginator, number, self._page_position(paginator, params, number))

    def paginate_rows(self, rows: list, request) -> list:
        """The requested page of rows already computed in full (an aggregate's few rows,
        such as the hours of ``/load/``), with the same validation as every list."""
        if self.cursor_query_param in request.query_params:
            raise ValidationError({self.cursor_query_param: "this list is paged by page only."})
        self.request = request
        paginator = Paginator(rows, self.get_page_size(request))
        return self._page(paginator, self._page_number(request), None)

    def _page_number(self, request) -> int:
        return parse_positive_int(request.query_params, self.page_query_param, default=1)

    def _page(self, paginator: Paginator, number: int, position: Position | None) -> list:
        try:
            self.page = paginator.page(number, position) if position else paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(
                f"page: {number} is past the last page ({paginator.num_pages})."
            ) from exc
        return list(self.page.object_list)

    def _page_position(self, paginator: FilterSetPaginator, params, number: int):
        """The row that page ``number`` follows (or precedes), from the token of the link
        that led here; None (an offset read) without one, or when it was made for another
        page, page size, order or filters."""
        for name, before in ((self.after_query_param, False), (self.before_query_param, True)):
            if not (values := params.getlist(name)):
                continue
            position = read_token(name, values[-1], paginator.keys)
            neighbour = number + 1 if before else number - 1
            if (
                position is not None
                and position.before == before
                and position.page == neighbour
                and position.page_size == paginator.per_page
                and position.digest == self.digest
            ):
                return position
        return None

    def _cursor_position(self, paginator: FilterSetPaginator, params) -> Position | None:
        for name in (self.page_query_param, self.after_query_param, self.before_query_param):
            if name in params:
                raise ValidationError({name: f"cannot be combined with {self.cursor_query_param}."})
        name = self.cursor_query_param
        if paginator.keys is None:
            raise ValidationError({name: "this order cannot be paged by cursor (it sorts by "
                                         "another table's columns or computed values); page "
                                         "by page instead."})
        text = params.getlist(name)[-1]
        if text == self.cursor_start:
            return None
        position = read_token(name, text, paginator.keys)
        if position is None or position.page is not None or position.digest != self.digest:
            raise ValidationError({name: "was made for another query (other filters or "
                                         f"order); start again with {name}={self.cursor_start}."})
        return position

    def get_next_link(self) -> str | None:
        page = self.page
        if isinstance(page, CursorPage):
            return self._cursor_link(page.has_next, page.last_key, before=False)
        url = super().get_next_link()
        if url is None:
            return None
        url = remove_query_param(url, self.before_query_param)
        key = getattr(page, "last_key", None)
        if key is None:
            return remove_query_param(url, self.after_query_param)
        token = make_token(key, before=False, digest=self.digest, page=page.number,
                           page_size=page.paginator.per_page)
        return replace_query_param(url, self.after_query_param, token)

    def get_previous_link(self) -> str | None:
        page = self.page
        if isinstance(page, CursorPage):
            return self._cursor_link(page.has_previous, page.first_key, before=True)
        url = super().get_previous_link()
        if url is None:
            return None
        url = remove_query_param(url, self.after_query_param)
        key = getattr(page, "first_key", None)
        # Page 1 is read at offset 0 anyway: its link stays the contract's.
        if key is None or page.number == 2:
            return remove_query_param(url, self.before_query_param)
        token = make_token(key, before=True, digest=self.digest, page=page.number,
                           page_size=page.paginator.per_page)
        return replace_query_param(url, self.before_query_param, token)

    def _cursor_link(self, exists: bool, key: tuple | None, *, before: bool) -> str | None:
        if not exists or key is None:
            return None
        token = make_token(key, before=before, digest=self.digest, page=None, page_size=None)
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, token)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """``page`` and ``page_size`` as ``parse_positive_int`` accepts them; ``after``,
        ``before`` and ``cursor`` on the lists read through ``FilterSetPaginator``
        (``pages_by_key`` of the view)."""
        by_key = getattr(view, "pages_by_key", False)
        token = {"type": "string", "minLength": 1, "maxLength": 2000}
        return [*self._page_parameters(), *([
            {
                "name": self.after_query_param,
                "required": False,
                "in": "query",
                "description": "Set by the next link: the page is the rows after the last "
                "row of the page before it, sought by key however deep it is. A value this "
                "service did not make is a 400; one made for another page, page size, order "
                "or filters is ignored (the page is then read by its number).",
                "schema": token,
            },
            {
                "name": self.before_query_param,
                "required": False,
                "in": "query",
                "description": "Set by the previous link, as after is by the next link: the "
                "rows before the first row of the page after it.",
                "schema": token,
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": f"Page by cursor instead of by page number: "
                f"{self.cursor_query_param}={self.cursor_start} for the first page, then the "
                "value in the next and previous links. No page number and no offset: each "
                "page is sought by key after (or before) the row where the last one ended, "
                "however far it is; count is still exact, an empty page is a 200. Not with "
                "page, after or before, nor with an order by another table's columns "
                "(job_type__name...); a cursor made for other filters or another order is "
                "a 400. page_size may change from page to page.",
                "schema": {"oneOf": [{"type": "string", "const": self.cursor_start}, token]},
            },
        ] if by_key else [])]

    def _page_parameters(self) -> list[dict]:
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
