"""Serializers rendered by PostgreSQL: one SQL expression builds a row's JSON.

A response shape is declared once, as a ``ScaleSerializer``. Plain DRF renders it from
model instances (the reference, and what the tests compare with); ``json_row`` turns the
same declaration into an SQL expression, so that a page's rows arrive from PostgreSQL as
JSON text, ready to be embedded in the response without being parsed again
(``page_rows``).

How each field becomes SQL:

- a model field: its column, reached through the foreign keys of the nested objects above
  it (``F("job_type__name")``: Django makes the joins); datetimes as ``format_datetime``
  writes them (``UtcMilliseconds``), floats as JSON floats (``JSONFloat``);
- a nested serializer on a foreign key: its own object, ``null`` when the key is;
- a nested serializer with ``rows`` (a to-many relation): ``many=True`` is the ordered
  array of those rows, otherwise the first of them or ``null``;
- any other field must say itself how it is read (``json_sql``, see ``IdObjectField``).

Objects are ``json_build_object``: keys in declared order (``jsonb`` would reorder them),
written ``{"a" : 1}``, with spaces that JSON ignores.
Only public Django APIs are used: expressions, ``Subquery``/``OuterRef`` and
``ArraySubquery``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from functools import cache
from typing import Any, Protocol

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import Case, Expression, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Cast
from rest_framework import serializers

from scale.api.fields import UtcMillisecondDateTimeField, UtcMilliseconds

Ref = Callable[[str], Any]
"""A column of the object being rendered, by its path from that object (``"workspace__name"``)."""


class SQLRenderable(Protocol):
    """A serializer field that is neither a model field nor a nested serializer says how
    PostgreSQL computes its JSON value from the columns of the object it belongs to
    (``ref("file_path")``, ``ref("workspace__base_url")``)."""

    def json_sql(self, ref: Ref) -> Expression: ...


class JSONObject(Expression):
    """``json_build_object('k1', v1, ...)``: one JSON object, keys in the given order.

    Values that are ``json`` are embedded, others converted as ``to_json`` does (text
    quoted, numbers and booleans as they are, arrays as arrays). Django's own
    ``JSONObject`` builds ``jsonb``, which reorders keys; ``row_to_json`` of a sub-select
    writes no spaces but costs PostgreSQL a sub-plan per object (several times the time
    of a 100-row page, and 10 ms of planning for a job's details).
    """

    output_field = models.JSONField()

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        super().__init__()
        items = list(items)
        self.keys = [key for key, _ in items]
        self.values = [value for _, value in items]

    def get_source_expressions(self) -> list:
        return self.values

    def set_source_expressions(self, expressions) -> None:
        self.values = list(expressions)

    def as_sql(self, compiler, connection):
        arguments, params = [], []
        for key, value in zip(self.keys, self.values, strict=True):
            sql, value_params = compiler.compile(value)
            arguments.append(f"%s, {sql}")
            params.extend([key, *value_params])
        return f"json_build_object({', '.join(arguments)})", params


class JSONFloat(Expression):
    """A float8 as JSON with DRF's type: ``2.0`` stays a float (PostgreSQL writes ``2``).

    Whole numbers below 10**15 get ``.0``; the others are written by PostgreSQL already
    with a point or an exponent, which JSON parses as a float too.
    """

    output_field = models.JSONField()

    def __init__(self, expression: Any) -> None:
        super().__init__()
        self.expression = expression

    def get_source_expressions(self) -> list:
        return [self.expression]

    def set_source_expressions(self, expressions) -> None:
        (self.expression,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        template = (
            "CASE WHEN {v} = trunc({v}) AND abs({v}) < 1e15 THEN ({v}::numeric || '.0')::json "
            "ELSE to_json({v}) END"
        )
        # The value appears five times: its parameters, if any, as often.
        return template.format(v=f"({sql})"), params * template.count("{v}")


def json_row(
    serializer_class: type[serializers.Serializer], *, exclude: Collection[str] = ()
) -> Expression:
    """The JSON object of one row of ``serializer_class``'s model, as an SQL expression.

    ``exclude`` names fields left out (those a caller computes in Python afterwards).
    """
    return _object(serializer_class(), ref=F, exclude=exclude)


def json_text(serializer_class: type[serializers.Serializer], **options) -> Expression:
    """``json_row`` as text, ready to be embedded in a response."""
    return Cast(json_row(serializer_class, **options), models.TextField())


RENDERED = "rendered_json"


@cache
def rendered(
    model: type[models.Model],
    serializer_class: type[serializers.Serializer],
    *,
    exclude: frozenset[str] = frozenset(),
) -> QuerySet:
    """Every row of ``model`` with its JSON text as ``rendered_json``: filter it, then read
    ``values_list("pk", RENDERED)``.

    Built once per process: turning a serializer into its expression and resolving that
    against the model (every join, every sub-select) costs more than PostgreSQL takes to
    run the query, so requests only filter this prepared queryset. Its expression holds
    nothing of a request: a time window in ``rows`` is written with the database's
    ``Now()``, not Python's clock.
    """
    return model._default_manager.order_by().annotate(
        **{RENDERED: json_text(serializer_class, exclude=exclude)}
    )


def page_rows(
    queryset: QuerySet,
    serializer_class: type[serializers.Serializer],
    *,
    per_request: bool = False,
) -> QuerySet:
    """The rows a page of ``queryset`` is read from, each with its JSON as ``RENDERED``
    (the paginator picks and sorts the page's rows: ``FilterSetPaginator``).

    They come from the model's ``rendered`` queryset, built once per process. With
    ``per_request`` they come from ``queryset`` itself, rendered for this request alone:
    for a queryset with annotations of its own (aggregates the shape shows, or what it
    is sorted by), or a serializer class made for this request (holding the request's
    values).
    """
    if per_request:
        return queryset.order_by().annotate(**{RENDERED: json_text(serializer_class)})
    return rendered(queryset.model, serializer_class)


def json_array(texts: Iterable[str]) -> orjson.Fragment:
    """JSON texts as one JSON array, embedded in a response without being parsed."""
    return orjson.Fragment("[" + ",".join(texts) + "]")


def _object(serializer: serializers.Serializer, *, ref: Ref, exclude: Collection[str] = ()):
    items = []
    for name, field in serializer.fields.items():
        if field.write_only or name in exclude:
            continue
        items.append((name, _value(serializer, field, ref)))
    return JSONObject(items)


def _value(parent: serializers.Serializer, field: serializers.Field, ref: Ref):
    path = "__".join(field.source_attrs)
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        rows = _rows(child, parent, field, ref)
        return ArraySubquery(rows.values(json=_object(child, ref=F)))
    if isinstance(field, serializers.Serializer):
        if getattr(field, "rows", None) is not None:
            rows = _rows(field, parent, field, ref)
            return Subquery(rows.values(json=_object(field, ref=F))[:1])
        nested = _object(field, ref=lambda column: ref(f"{path}__{column}"))
        if not field.allow_null:
            return nested
        return Case(When(**{f"{_ref_name(ref, path)}__isnull": False}, then=nested))
    if hasattr(field, "json_sql"):
        return field.json_sql(ref)
    if isinstance(field, serializers.SerializerMethodField):
        raise TypeError(
            f"{type(parent).__name__}.{field.field_name} is a SerializerMethodField, which "
            "PostgreSQL cannot render: declare a field with json_sql, or exclude it."
        )
    if isinstance(field, serializers.DateTimeField | UtcMillisecondDateTimeField):
        return UtcMilliseconds(ref(path))
    if isinstance(field, serializers.FloatField):
        return JSONFloat(ref(path))
    return ref(path)


def _rows(child, parent, field, ref: Ref) -> QuerySet:
    """The rows of a nested serializer declared with ``rows``, for the outer row."""
    if getattr(child, "rows", None) is None:
        raise TypeError(
            f"{type(parent).__name__}.{field.field_name}: a nested list needs rows=..."
        )
    return child.rows(OuterRef(_ref_name(ref, "pk")))


def _ref_name(ref: Ref, column: str) -> str:
    """The lookup path of ``column`` of the object ``ref`` reads (``event__rule``)."""
    return ref(column).name
