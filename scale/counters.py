"""Counter tables that writers only append to: exact counts without a hot row.

A counter table (``job_count``, ``job_time_count``, ``job_status_time_count``,
``job_day_count``, ``job_load_change``, ``job_exe_count``) is a ledger: each row is a
change of the values (``count``, or ``pending``/``queued``/``running``) of one key, and
the sum of a key's rows is its value. Statement-level triggers on the counted table
insert each statement's changes, summed per key, in the writer's own transaction. They
never update a row, so concurrent writers of the same key never wait on each other;
every read sums the rows it selects, in its own snapshot, so it is exact whatever has
been folded.

``fold`` merges each key's rows into one, in one statement: the rows written since the
last fold (``folded`` false, indexed apart) name the keys to merge. The workers fold
every few seconds (``manage.py scale_worker``'s housekeeping); without them the ledgers
only grow, and the reads that sum them slow down, but stay exact. ``rebuild`` counts a
ledger again from the table it counts, after its triggers were bypassed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Func, Q, Value

# Time buckets are aligned to this moment, a UTC midnight: a day's bucket is a UTC day.
BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


class Ledger(models.Model):
    """A counter table: a subclass declares its key fields and its ``VALUES``."""

    VALUES: tuple[str, ...] = ("count",)

    # False for the rows that the triggers insert, true for the ones a fold wrote.
    folded = models.BooleanField(default=False, db_default=False)

    class Meta:
        abstract = True
        # The rows a fold has still to merge.
        indexes = [
            models.Index(fields=["id"], condition=models.Q(folded=False), name="%(class)s_new")
        ]

    @classmethod
    def key_columns(cls) -> list[str]:
        skipped = {"id", "folded", *cls.VALUES}
        return [f.column for f in cls._meta.concrete_fields if f.name not in skipped]


class BucketStart(Func):
    """The start of the ``width``-second bucket (aligned to ``BUCKET_ORIGIN``) that a
    timestamp falls in, in SQL: ``date_bin``, as the triggers of a time ledger bin."""

    function = "date_bin"
    output_field = models.DateTimeField()

    def __init__(self, expression, width: int) -> None:
        super().__init__(Value(timedelta(seconds=width)), expression, Value(BUCKET_ORIGIN))


def buckets_from(start, widths: tuple[int, ...]) -> Q:
    """The fewest whole buckets (``width``, ``bucket``) that make up [``start``, end of
    time): ``start`` an SQL expression aligned to the narrowest width, ``widths`` widest
    first, each a multiple of the next. Each width takes its buckets from the first at or
    after ``start`` up to where the wider ones take over."""
    buckets, wider_start = Q(), None
    for width in widths:
        # The first bucket of this width at or after start.
        first = BucketStart(start - Value(timedelta(microseconds=1)), width) + Value(
            timedelta(seconds=width)
        )
        these = Q(width=width, bucket__gte=first)
        if wider_start is not None:
            these &= Q(bucket__lt=wider_start)
        buckets |= these
        wider_start = first
    return buckets


def ledgers() -> list[type[Ledger]]:
    return [model for model in apps.get_models() if issubclass(model, Ledger)]


def _same_key(model: type[Ledger], left: str, right: str) -> str:
    return " AND ".join(
        f"{left}.{column} IS NOT DISTINCT FROM {right}.{column}"
        if model._meta.get_field(_field_name(model, column)).null
        else f"{left}.{column} = {right}.{column}"
        for column in model.key_columns()
    )


def _field_name(model: type[Ledger], column: str) -> str:
    return next(f.name for f in model._meta.concrete_fields if f.column == column)


def _sums(model: type[Ledger], rows: str) -> str:
    """The keys of ``rows`` with the sum of each value, leaving out keys that sum to 0."""
    keys = ", ".join(model.key_columns())
    sums = ", ".join(f"sum({value})" for value in model.VALUES)
    nonzero = " OR ".join(f"sum({value}) <> 0" for value in model.VALUES)
    return f"SELECT {keys}, {sums} FROM {rows} GROUP BY {keys} HAVING {nonzero}"


@transaction.atomic
def fold(model: type[Ledger]) -> int:
    """Merge the rows of every key written since the last fold into one row per key (none
    for a key whose values sum to 0); the number of rows merged away. Skips the fold when
    another one of the same table is under way (it takes the same rows)."""
    table = model._meta.db_table
    keys = ", ".join(model.key_columns())
    columns = [*model.key_columns(), *model.VALUES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"fold {table}"])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"""WITH touched AS (SELECT DISTINCT {keys} FROM {table} WHERE NOT folded),
            merged AS (
                DELETE FROM {table} t USING touched
                WHERE {_same_key(model, "t", "touched")}
                RETURNING {", ".join(f"t.{column}" for column in columns)}
            ),
            written AS (
                INSERT INTO {table} ({", ".join(columns)}, folded)
                SELECT *, true FROM ({_sums(model, "merged")}) s
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM merged) - (SELECT count(*) FROM written)"""
        )
        return cursor.fetchone()[0]


def fold_all() -> int:
    """Fold every ledger (the workers' housekeeping); the rows merged away."""
    return sum(fold(model) for model in ledgers())


@dataclass(frozen=True)
class Rebuild:
    """What a rebuild of a ledger found and wrote."""

    counters: int  # keys with a value
    rows: int  # the rows counted (the sum of the first value)
    corrected: int  # keys whose value was wrong, missing or left over before


def rebuild(model: type[Ledger], *, locked: str, grouped: str) -> Rebuild:
    """Replace the ledger's rows with ``grouped`` (its key columns, then its values, per
    key), after counting the keys that were wrong. ``locked`` (the counted table) is
    locked in SHARE mode first: its writers wait until the ledger is rewritten, and the
    count sees every row written before. Call it inside a transaction."""
    table = model._meta.db_table
    keys = model.key_columns()
    columns = ", ".join([*keys, *model.VALUES])
    differs = " OR ".join(
        f"counted.{value} IS DISTINCT FROM actual.{value}" for value in model.VALUES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {locked} IN SHARE MODE")
        cursor.execute(
            f"""SELECT count(*) FROM ({grouped}) AS actual({columns})
            FULL JOIN ({_sums(model, table)}) AS counted({columns})
            ON {_same_key(model, "counted", "actual")}
            WHERE {differs}"""
        )
        corrected = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} ({columns}, folded) SELECT *, true FROM ({grouped}) g"
        )
        cursor.execute(f"SELECT count(*), coalesce(sum({model.VALUES[0]}), 0) FROM {table}")
        counters, rows = cursor.fetchone()
    return Rebuild(counters=counters, rows=rows, corrected=corrected)
