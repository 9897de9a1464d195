"""Querysets compiled to SQL once per process and planned once per connection.

Django compiles a queryset to SQL every time it runs it: 1-4 ms for a list page's joined
query on the benchmark machine, more than PostgreSQL takes to answer it. PostgreSQL, in
turn, plans a statement every time it receives one: 1.4 ms for the details' six-table
join, whose execution takes 0.25 ms. A page's rows are always the same query for a
different list of ids, so ``PreparedValuesQuery`` compiles it once, with the ids as one
array parameter (``__any_of``), and makes it a prepared statement of each connection
that runs it; afterwards it only sends ``EXECUTE`` with the new ids.

Prepared statements belong to a database session: the connection must be a session of
its own, not one shared per transaction by a pooler such as PgBouncer's transaction mode.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, ForeignObject, Lookup, QuerySet


class AnyOf(Lookup):
    """``column = ANY(%s)``: ``pk__any_of=[1, 2, 3]`` passes the values as one array
    parameter, so the SQL is the same whatever their number (``__in`` writes one
    placeholder per value)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection) -> tuple[str, tuple]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)


# Foreign keys take only the lookups registered on ForeignObject, not Field's.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)


class _Values:
    """Stands for the values while the query is compiled; found again among its params."""


@dataclass(frozen=True)
class _Compiled:
    sql: str  # its parameters numbered $1..$n, for PREPARE
    arguments: str  # "(%s, ...)", for EXECUTE
    params: tuple
    values_at: tuple[int, ...]
    converters: tuple  # (column position, converter functions, expression)


# What each open connection (psycopg2's own object) has prepared: query → statement name.
# A connection that is closed and opened again is a new object, with nothing prepared.
_prepared_by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_numbers = itertools.count(1)
_PLACEHOLDER = re.compile(r"%[s%]")


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1``, ``$2``...; ``%%`` stays, for
    the ``PREPARE`` is sent through psycopg2's formatting too."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(
        lambda match: "%%" if match.group() == "%%" else f"${next(numbers)}", sql
    )


class PreparedValuesQuery:
    """``build(values)`` — a ``values_list`` queryset that uses ``values`` only through
    ``__any_of`` lookups — compiled on first use; ``rows(values)`` runs it for new values
    and returns what ``list(build(values))`` would, as tuples.

    Everything else in the query (other filters' values, ordering) is fixed when it is
    compiled, so ``build`` must not depend on anything but ``values``.
    """

    def __init__(self, build: Callable[[Any], QuerySet], *, using: str = DEFAULT_DB_ALIAS):
        self._build = build
        self._using = using
        self._compiled: _Compiled | None = None

    def rows(self, values: Collection) -> list[tuple]:
        compiled = self._compiled or self._compile()
        params = list(compiled.params)
        for position in compiled.values_at:
            params[position] = list(values)
        connection = connections[self._using]
        with connection.cursor() as cursor:
            prepared = _prepared_by_connection.setdefault(connection.connection, {})
            name = prepared.get(self)
            if name is not None:
                cursor.execute(f"EXECUTE {name}{compiled.arguments}", params)
            else:
                # One round trip: psycopg2 sends both and fetches what the last returns.
                # The name is new each time: if EXECUTE fails, its PREPARE may still have
                # taken effect (a prepared statement outlives a rollback), and preparing
                # the same name again would fail.
                name = f"scale_prepared_{next(_numbers)}"
                cursor.execute(
                    f"PREPARE {name} AS {compiled.sql}; EXECUTE {name}{compiled.arguments}",
                    params,
                )
                prepared[self] = name
            rows = cursor.fetchall()
        if not compiled.converters:
            return rows
        return [self._convert(row, compiled.converters, connection) for row in rows]

    def _compile(self) -> _Compiled:
        marker = _Values()
        queryset = self._build(marker)
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        found = tuple(i for i, param in enumerate(params) if param is marker)
        if not found:
            raise ValueError("the query must use its values in an __any_of")
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        )
        self._compiled = _Compiled(
            sql=_numbered(sql),
            arguments=f"({', '.join(['%s'] * len(params))})",
            params=tuple(params),
            values_at=found,
            converters=converters,
        )
        return self._compiled

    @staticmethod
    def _convert(row: tuple, converters: tuple, connection) -> tuple:
        values = list(row)
        for position, functions, expression in converters:
            for function in functions:
                values[position] = function(values[position], expression, connection)
        return tuple(values)
