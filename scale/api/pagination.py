"""Page-number pagination that refuses bad input instead of guessing.

DRF's own class silently clamps ``page_size`` and treats junk as the default; the
contract wants 1..1000, so anything else is a 400 naming the parameter. A page past the
end is a 404; page 1 of an empty result is an empty page.
"""

from __future__ import annotations

from django.core.paginator import InvalidPage, Paginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

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


class FilterSetPaginator(Paginator):
    """Django's paginator over the ids of a validated FilterSet's rows, counted by
    ``count()``. A subclass may know the count without counting rows: that is an
    endpoint's count strategy (``job.pagination.JobCountPaginator``)."""

    def __init__(self, filterset, per_page: int) -> None:
        queryset = filterset.qs
        # An unordered queryset would let pages overlap or skip rows between requests.
        if not queryset.ordered:
            raise AssertionError(f"{filterset!r} pages an unordered queryset")
        super().__init__(queryset.values_list("pk", flat=True), per_page)
        self.filterset = filterset


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
        self, filterset, request, *, django_paginator_class: type[FilterSetPaginator]
    ) -> list:
        """The ids of the requested page of the FilterSet's rows, in their order.

        The ids are read alone, off the ordering index (an index-only scan), so a deep
        page skips its offset there instead of joining every skipped row; the caller
        renders the rows of those ids only.
        """
        page_size = self.get_page_size(request)
        page_number = parse_positive_int(request.query_params, self.page_query_param, default=1)
        paginator = django_paginator_class(filterset, page_size)
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
