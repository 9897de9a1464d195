"""The base of every read endpoint: a validated FilterSet, a page of ids, PostgreSQL's JSON.

A list endpoint is a few declarations on ``ReadOnlyViewSet``::

    class JobTypeViewSet(ReadOnlyViewSet):
        queryset = JobType.objects.order_by("name", "version", "id")  # the default order
        filterset_class = JobTypeFilterSet        # every query parameter, order included
        serializer_class = JobTypeSerializer      # the shape of a row
        django_paginator_class = FilterSetPaginator  # the count strategy

and the pipeline does the rest, the same for every endpoint: the FilterSet validates the
query (a 400 names the bad parameter), and the paginator reads the page in one statement
(``scale.api.pagination.FilterSetPaginator``): the page's ids off the ordering index,
the JSON of those rows, rendered by PostgreSQL from the serializer
(``scale.api.rendering``), and the count. The JSON is embedded in the page as it comes.

Every answer is read from one snapshot: a single statement is one, and a read of several
statements (a job's details, then its files) runs them in ``read_snapshot()``.
"""

from __future__ import annotations

from contextlib import contextmanager

import orjson
from django.db import connection, transaction
from django.http import Http404
from django_filters.utils import translate_validation
from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response

from scale.api.filters import PG_BIGINT_MAX
from scale.api.pagination import FilterSetPaginator
from scale.api.rendering import RENDERED, json_array, page_rows, rendered


@contextmanager
def read_snapshot():
    """A read-only REPEATABLE READ transaction: every statement of an answer sees the same
    committed state (a count, its page and the page's rows; a job and its files).

    Inside a transaction that is already open (a test's, a caller's), that one decides.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


class MethodNotAllowedFirstMixin:
    """Answer 405 for a method the route does not serve before checking permissions.

    DRF checks permissions first, so an anonymous DELETE would be a 401 and a POST by an
    operator a 403 — both misleading for a method that no one may use on that URL.
    """

    def initial(self, request, *args, **kwargs):
        if getattr(self, request.method.lower(), None) is None:
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class ReadOnlyViewSet(MethodNotAllowedFirstMixin, viewsets.GenericViewSet):
    """``list`` and ``retrieve`` of the declared queryset, FilterSet and serializer."""

    http_method_names = ["get", "head", "options"]
    django_paginator_class = FilterSetPaginator
    # The list reads its FilterSet's rows through the paginator, which can seek them by
    # key (``after``, ``before``, ``cursor``); a list of rows computed in full, paged by
    # ``paginate_rows``, says False.
    pages_by_key = True
    # The path accepts any segment: anything but an id is a 404 with a clear message.
    lookup_value_regex = "[^/]+"

    def list(self, request: Request, *args, **kwargs) -> Response:
        filterset = self.get_filterset()
        rows = page_rows(
            self.get_queryset(),
            self.get_row_serializer(filterset),
            per_request=self.renders_per_request(),
        )
        texts = self.paginator.paginate_filterset(
            filterset, rows, request, django_paginator_class=self.django_paginator_class
        )
        return self.paginator.get_paginated_response(json_array(texts))

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(self.get_object_json())

    def get_row_serializer(self, filterset):
        """The serializer of this request's rows: the declared one, or one a view makes
        from the request's filters (a window its counts use); ``renders_per_request``
        must then say so."""
        return self.get_serializer_class()

    def renders_per_request(self) -> bool:
        """Whether the rows are rendered for this request alone: from its queryset (one
        that carries annotations of its own), or by a serializer made for it
        (``get_row_serializer``), rather than by the model's query built once per
        process."""
        return False

    def get_filterset(self):
        """The endpoint's FilterSet bound to the query; invalid values are a 400."""
        filterset = self.filterset_class(
            request.query_params if (request := self.request) else None,
            queryset=self.get_queryset(),
            request=request,
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset

    def get_object_id(self) -> int:
        """The id in the path; anything but a positive whole number is a 404."""
        raw = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        # Length first: int() refuses strings of over 4300 digits with a ValueError.
        too_long = len(raw) > len(str(PG_BIGINT_MAX))
        if too_long or not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= PG_BIGINT_MAX:
            raise Http404(
                f"{self.object_name} {raw} was not found: "
                f"a {self.object_name} id is a positive whole number."
            )
        return int(raw)

    @property
    def object_name(self) -> str:
        return str(self.get_queryset().model._meta.verbose_name)

    def get_object_json(self):
        """The details of the object in the path, rendered by PostgreSQL (a 404 if none)."""
        object_id = self.get_object_id()
        model = self.get_queryset().model
        rows = rendered(model, self.get_serializer_class()).filter(pk=object_id)
        text = rows.values_list(RENDERED, flat=True).first()
        if text is None:
            raise Http404(f"{self.object_name} {object_id} was not found.")
        return orjson.Fragment(text)
