"""Seeking a page by the sort key of a neighbouring row instead of counting an offset.

``sort_keys`` reads a queryset's ordering; ``seek_parts`` is the exact condition "after
(or before) this sort key" in that ordering, with NULLs where PostgreSQL sorts them,
written so that the ordering index serves it as a range (``seek_condition``: the same as
one condition); the paginator applies it to a FilterSet's rows
(``FilterSetPaginator.seek_ids``). Tokens (``make_token``/``read_token``) carry a row's
sort key in the page links, signed, and say which query and page they were made for
(``scale.api.pagination``).
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any
from uuid import UUID

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import BooleanField, Expression, F, OrderBy, Q, QuerySet, Value
from django.db.models.lookups import Exact, GreaterThan, IsNull, LessThan
from rest_framework.exceptions import ValidationError


@dataclass(frozen=True)
class SortKey:
    """One term of a queryset's ordering, as the seek condition needs it: the value
    sorted by, its direction, whether it may be NULL (PostgreSQL sorts NULLs last
    ascending, first descending) and the field that reads a token's value back."""

    expression: Expression
    descending: bool
    nullable: bool
    field: models.Field
    label: str

    def reversed(self) -> SortKey:
        return replace(self, descending=not self.descending)


def sort_keys(queryset: QuerySet) -> tuple[SortKey, ...] | None:
    """The keys of ``queryset``'s ordering, or None when the rows cannot be sought by
    them exactly: a column of another table (``job_type__name``, or a foreign key, which
    Django sorts by the related model's ordering), an annotation, an explicit NULLS
    placement. The last key must be the primary key, so that the order is total."""
    keys = []
    for term in queryset.query.order_by:
        key = _sort_key(queryset.model, term)
        if key is None:
            return None
        keys.append(key)
    pk = queryset.model._meta.pk
    last = keys[-1] if keys else None
    if last is None or not (isinstance(last.expression, F) and last.expression.name == pk.attname):
        return None
    return tuple(keys)


def _sort_key(model: type[models.Model], term) -> SortKey | None:
    descending = False
    if isinstance(term, str):
        descending = term.startswith("-")
        term = F(term.removeprefix("-"))
    elif isinstance(term, OrderBy):
        if term.nulls_first or term.nulls_last:
            return None
        descending = term.descending
        term = term.expression
    sign = "-" if descending else ""
    if isinstance(term, F):
        field = _local_field(model, term.name)
        if field is None:
            return None
        return SortKey(F(field.attname), descending, field.null, field, sign + field.attname)
    if not _local_only(model, term):
        return None
    try:
        field = term.output_field
    except (AttributeError, FieldError):
        return None
    # What an expression of several columns gives for NULLs is not known: both cases.
    return SortKey(term, descending, True, field, sign + str(term))


def _local_field(model: type[models.Model], name: str) -> models.Field | None:
    """The model's own column ``name`` (``job_type_id``, not ``job_type``), or None."""
    if name == "pk":
        return model._meta.pk
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or (field.is_relation and name != field.attname):
        return None
    return field


def _local_only(model: type[models.Model], expression) -> bool:
    """Whether ``expression`` is made of the model's own columns and constants only."""
    if isinstance(expression, F):
        return _local_field(model, expression.name) is not None
    if isinstance(expression, Value):
        return True
    if not isinstance(expression, Expression):
        return False
    sources = expression.get_source_expressions()
    return bool(sources) and all(_local_only(model, source) for source in sources)


class RowComparison(Expression):
    """``(a, b, c) >= (x, y, z)`` (or ``<=``): the form of a condition that PostgreSQL
    reads off an index on ``(a, b, c)`` as a range, seeking its start."""

    output_field = BooleanField()

    def __init__(self, left: list, right: list, operator: str) -> None:
        super().__init__()
        self.left, self.right, self.operator = list(left), list(right), operator

    def get_source_expressions(self) -> list:
        return [*self.left, *self.right]

    def set_source_expressions(self, expressions) -> None:
        self.left = list(expressions[: len(self.left)])
        self.right = list(expressions[len(self.left) :])

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for side in (self.left, self.right):
            sqls = []
            for expression in side:
                sql, expression_params = compiler.compile(expression)
                sqls.append(sql)
                params.extend(expression_params)
            parts.append(f"({', '.join(sqls)})")
        return f"{parts[0]} {self.operator} {parts[1]}", params


def seek_parts(keys: Sequence[SortKey], values: Sequence[Any], *, before: bool = False) -> list[Q]:
    """The rows strictly after the sort key ``values`` in the order of ``keys`` (before it
    with ``before``), exactly as PostgreSQL sorts them, NULLs included: the conditions of
    one or two consecutive stretches of that order, in order.

    Each is the lexicographic expansion (a row is after when it equals ``values`` on the
    first keys and is after on the next one) with a condition it implies that an index
    on the keys serves as a range (``RowComparison``), so that PostgreSQL starts reading
    the ordering index at the key instead of at its beginning. A range covers the
    leading keys of one direction that are not NULL in ``values`` and, ascending, cannot
    be NULL: NULLs sort after every value, and a row comparison with a NULL is not true.
    So when it would start at an ascending key that may be NULL, there are two
    stretches, each a range of the index: the rows with a value there, then those
    without (and, descending from a NULL, the other NULLs, then the rows with a value).
    """
    if before:
        keys = [key.reversed() for key in keys]
    exact = _exact(keys, values)
    start = 0
    forced = []
    # Nothing sorts after NULL ascending: the rows after it are NULL on that key too.
    while start < len(keys) and values[start] is None and not keys[start].descending:
        forced.append(IsNull(keys[start].expression, True))
        start += 1
    if start == len(keys) or not keys[start].nullable:
        return [Q(*forced, *_range(keys, values, start), exact)]
    key = keys[start]
    if not key.descending:
        valued = [*keys[:start], replace(key, nullable=False), *keys[start + 1 :]]
        return [
            Q(*forced, IsNull(key.expression, False), *_range(valued, values, start), exact),
            Q(*forced, IsNull(key.expression, True), exact),
        ]
    if values[start] is None:
        # Descending, NULLs come first: the rest of the NULLs, then every row with a value.
        return [
            Q(*forced, IsNull(key.expression, True), *_range(keys, values, start + 1), exact),
            Q(*forced, IsNull(key.expression, False), exact),
        ]
    return [Q(*forced, *_range(keys, values, start), exact)]


def seek_condition(keys: Sequence[SortKey], values: Sequence[Any], *, before: bool = False) -> Q:
    """``seek_parts`` as one condition: the rows after (before) the sort key ``values``."""
    return reduce(operator.or_, seek_parts(keys, values, before=before))


def _exact(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
    alternatives = []
    equal: list = []
    for key, value in zip(keys, values, strict=True):
        beyond = _beyond(key, value)
        if beyond is not None:
            alternatives.append(Q(*equal, beyond))
        equal.append(IsNull(key.expression, True) if value is None
                     else Exact(key.expression, _value(key, value)))
    # No alternative: the key is the last row's, nothing is after it.
    return reduce(operator.or_, alternatives) if alternatives else Q(pk__in=[])


def _beyond(key: SortKey, value: Any):
    """The rows whose ``key`` sorts after ``value`` (None: none does)."""
    if value is None:
        return IsNull(key.expression, False) if key.descending else None
    if key.descending:
        return LessThan(key.expression, _value(key, value))
    after = GreaterThan(key.expression, _value(key, value))
    return Q(after) | Q(IsNull(key.expression, True)) if key.nullable else after


def _range(keys: Sequence[SortKey], values: Sequence[Any], start: int) -> list:
    """The row comparison over the keys from ``start`` that one can describe exactly."""
    end = start
    while (
        end < len(keys)
        and keys[end].descending == keys[start].descending
        and values[end] is not None
        and (keys[end].descending or not keys[end].nullable)
    ):
        end += 1
    if end == start:
        return []
    return [RowComparison(
        [key.expression for key in keys[start:end]],
        [_value(key, value) for key, value in zip(keys[start:end], values[start:end], strict=True)],
        "<=" if keys[start].descending else ">=",
    )]


def _value(key: SortKey, value: Any) -> Value:
    return Value(value, output_field=key.field)


# The parameters a token does not depend on: the page's position and size.
POSITION_PARAMETERS = ("page", "page_size", "after", "before", "cursor")
TOKEN_SALT = "scale.api.pagination"


def query_digest(keys: Sequence[SortKey], params: Iterable[tuple[str, str]]) -> str:
    """What a token is valid for: the order and every query parameter but the position."""
    text = json.dumps([
        [key.label for key in keys],
        sorted((name, value) for name, value in params if name not in POSITION_PARAMETERS),
    ])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def request_digest(keys: Sequence[SortKey], query_params) -> str:
    return query_digest(keys, ((name, value) for name, values in query_params.lists()
                               for value in values))


def make_token(
    values: Sequence[Any], *, before: bool, digest: str, page: int | None, page_size: int | None
) -> str:
    """A URL-safe, signed token of a row's sort key: where a page starts (``after``) or
    ends (``before``), for the query of ``digest`` (and the page of ``page_size`` rows
    numbered ``page`` that the row is on, in page mode; a cursor has neither)."""
    payload = {"k": [_encode(value) for value in values], "b": int(before), "q": digest,
               "p": page, "s": page_size}
    # No timestamp (signing.dumps has one): the same page always has the same links.
    return signing.Signer(salt=TOKEN_SALT).sign_object(payload)


@dataclass(frozen=True)
class Position:
    """A decoded token: the sort key of a row, the rows after it or before it."""

    values: tuple
    before: bool
    digest: str
    page: int | None
    page_size: int | None


def read_token(name: str, text: str, keys: Sequence[SortKey] | None) -> Position | None:
    """The token of parameter ``name``; a 400 naming it if this service did not make it.
    None when it was made for another order (``keys``: None when the order cannot be
    sought)."""
    try:
        payload = signing.Signer(salt=TOKEN_SALT).unsign_object(text)
        values, before, digest = payload["k"], bool(payload["b"]), payload["q"]
        page, page_size = payload["p"], payload["s"]
    except (signing.BadSignature, TypeError, KeyError, ValueError) as exc:
        raise ValidationError({name: "is not a token from a next or previous link of this "
                                     "service; follow the links as given."}) from exc
    if keys is None or len(values) != len(keys):
        return None
    try:
        decoded = tuple(None if value is None else key.field.to_python(value)
                        for key, value in zip(keys, values, strict=True))
    except DjangoValidationError as exc:
        raise ValidationError({name: "is not a token from a next or previous link of this "
                                     "service; follow the links as given."}) from exc
    return Position(decoded, before, digest, page, page_size)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | timedelta):
        return str(value)
    return value
