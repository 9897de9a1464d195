"""Realistic, deterministic demo data across every model, loaded fast enough for millions.

- **Reference rows** (errors, workspaces, nodes, trigger rules, job types and revisions,
  recipe types) are few and named: ``catalogue`` makes them through the ORM with
  ``get_or_create``, so a second run reuses them and unique constraints hold.
- **Bulk rows** (events, jobs, executions, files, job input files, recipes, recipe jobs)
  come from ``rows`` as ``COPY ... FROM STDIN`` text, one transaction per batch of jobs.
  Each batch locks the bulk tables against other writers, reads where the ids continue,
  and moves the sequences past what it wrote, so later ORM inserts get fresh ids.
- **Determinism**: one ``random.Random(seed)`` drives everything in a fixed order that
  does not depend on the batch size, and every timestamp is an offset from ``now``: the
  same ``seed``, ``jobs`` and ``now`` on an empty database give identical rows.
- **Speed** (measured; see README "Demo data"): the next batch is generated in a child
  process while PostgreSQL ingests the current one (``ahead``), and, where the role may,
  the per-row foreign-key triggers are skipped during COPY and replaced by one set-based
  check per foreign key before the batch commits: the triggers took about 30% of the load
  time, the check takes about 3%. The check reads only the batch's rows, by primary key,
  as long as the planner knows how big the tables are: each table is analyzed whenever
  it has doubled since its last analysis (``Statistics``). Without that, in the empty
  load's one transaction (whose rows autovacuum cannot see), the planner took the growing
  tables for small ones and scanned them whole for every batch: the rate fell with the
  rows loaded, 4x by 10M jobs.
- **Into a database without jobs** the bulk tables' secondary indexes (those no constraint
  uses, read from ``pg_indexes``) are dropped and built again from their definitions after
  the rows, all in one transaction that locks the tables: inserting into big indexes row by
  row made the rate fall with the table's size. Primary keys and unique constraints stay
  (their keys grow with the ids: cheap to keep, and they guard the load). Appending keeps
  every index. The counter triggers stay enabled on both paths: statement-level, they cost
  little and do not slow down as the tables grow, and whatever counters are added later
  stay exact without a rebuild.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from job.demo_data.ahead import Rows, RowsAhead
from job.demo_data.batch import BULK_TABLES, COLUMNS, Batch, DemoSummary
from job.demo_data.catalogue import Catalogue, ensure_catalogue
from job.services import counters_compact_all, counters_fold_all

DEFAULT_BATCH_SIZE = 25_000

__all__ = ["DEFAULT_BATCH_SIZE", "DemoSummary", "default_now", "generate_demo_data"]


def generate_demo_data(
    *,
    jobs: int,
    seed: int,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> DemoSummary:
    """Append ``jobs`` jobs with everything around them, in batches of ``batch_size`` jobs.

    ``now`` anchors every timestamp (nothing is later). ``progress`` is called with the
    number of jobs of each batch written. Appended batches commit one by one: an error
    leaves the batches before it in place, each of them whole. Into a database without
    jobs everything is one transaction: an error leaves nothing (and every index).
    """
    if jobs < 1 or batch_size < 1:
        raise ValueError("jobs and batch_size must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with transaction.atomic():
        catalogue = ensure_catalogue(now=now)
    sequences = _sequences()
    skip_triggers = _may_skip_foreign_key_triggers()
    # A single batch has nothing to overlap with; more are generated a batch ahead.
    rows = Rows if jobs <= batch_size else RowsAhead
    summary = DemoSummary()
    with rows(catalogue=catalogue, seed=seed, now_ms=int(now.timestamp() * 1000),
              total_jobs=jobs) as source:
        if _no_jobs():
            # Into empty tables, the indexes that back no constraint are dropped and built again
            # after the rows: one sort per index instead of a random insert per row, whose cost
            # grows with the table. One transaction holds it all: the tables are locked against
            # everyone meanwhile, and an error leaves them as they were, indexes included.
            with transaction.atomic():
                _lock_exclusively()
                if _no_jobs():
                    indexes = _drop_secondary_indexes()
                else:
                    indexes = []  # another writer came first: append as usual
                _load(source, jobs, catalogue, sequences, skip_triggers, batch_size, summary,
                      progress)
                began = time.monotonic()
                _create_indexes(indexes)
                summary.index_seconds = time.monotonic() - began
                summary.indexes_rebuilt = len(indexes)
        else:
            _load(source, jobs, catalogue, sequences, skip_triggers, batch_size, summary, progress)
    with connection.cursor() as cursor:
        # What each workspace holds now: the files it keeps that are not deleted.
        cursor.execute(
            "UPDATE workspace w SET used_size = coalesce((SELECT sum(f.file_size) FROM "
            "scale_file f WHERE f.workspace_id = w.id AND NOT f.is_deleted), 0)"
        )
        cursor.execute(f"ANALYZE {', '.join(BULK_TABLES)}")
    # Each batch's COPY appended its changes to the counter tables: merge them, so that
    # reads sum one row per key without waiting for a worker's housekeeping, then write
    # the tables anew without the pages the merge emptied.
    began = time.monotonic()
    counters_fold_all()
    counters_compact_all()
    summary.fold_seconds = time.monotonic() - began
    return summary


def _load(
    source: Rows,
    jobs: int,
    catalogue: Catalogue,
    sequences: dict[str, str],
    skip_triggers: bool,
    batch_size: int,
    summary: DemoSummary,
    progress: Callable[[int], object] | None,
) -> None:
    """Generate and COPY every batch, each in a transaction of its own unless this runs in
    the empty load's; the next batch is generated while this one loads."""
    in_load = connection.in_atomic_block
    statistics = Statistics()
    remaining = jobs
    ahead: Future[Batch] | None = None
    try:
        while remaining:
            # Within the empty load's transaction a batch takes no savepoint: PostgreSQL
            # keeps a committed savepoint's memory (some 2 KB a job) until the end.
            with transaction.atomic(savepoint=not in_load):
                _lock(catalogue)
                first_ids = _next_ids(sequences)
                batch = ahead.result() if ahead is not None else None
                ahead = None
                if batch is not None and batch.first_ids != first_ids:
                    # Someone else took ids since the batch was generated ahead.
                    source.restore(batch.state)
                    batch = None
                if batch is None:
                    batch = source.submit(first_ids=first_ids, min_jobs=batch_size).result()
                remaining = batch.remaining
                if remaining:
                    ahead = source.submit(first_ids=batch.next_ids, min_jobs=batch_size)
                _copy(batch, skip_triggers=skip_triggers, statistics=statistics)
                _advance_sequences(sequences, batch.next_ids)
            summary.add(batch)
            if progress is not None:
                progress(batch.jobs)
    finally:
        if ahead is not None:
            ahead.cancel()


def default_now() -> datetime:
    """The current time truncated to the hour: reruns within the hour give the same rows."""
    return datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0)


def _no_jobs() -> bool:
    """Whether the load starts from scratch: no job yet (the catalogue's shared files may be
    there). Building the indexes again is right whatever the tables hold; with no jobs it is
    also the fast way."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM job)")
        return bool(cursor.fetchone()[0])


def _lock_exclusively() -> None:
    """Keep everyone, readers too, off the bulk tables while their indexes are missing."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(BULK_TABLES)} IN ACCESS EXCLUSIVE MODE")


# The bulk tables' indexes that no constraint uses (primary keys, unique constraints, and
# the unique indexes a foreign key points at stay), as PostgreSQL defines them.
_SECONDARY_INDEXES = """
    SELECT format('%%I.%%I', x.schemaname, x.indexname), x.indexdef FROM pg_indexes x
    WHERE x.schemaname = current_schema() AND x.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                      WHERE k.conindid = format('%%I.%%I', x.schemaname, x.indexname)::regclass)
    ORDER BY x.tablename, x.indexname"""


def _drop_secondary_indexes() -> list[str]:
    """Drop the bulk tables' secondary indexes; their definitions, to build them again."""
    with connection.cursor() as cursor:
        cursor.execute(_SECONDARY_INDEXES, [list(BULK_TABLES)])
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes]


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        # Foreign-key checks still queued (when their triggers could not be skipped) would
        # forbid CREATE INDEX: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _lock(catalogue: Catalogue) -> None:
    with connection.cursor() as cursor:
        # SHARE ROW EXCLUSIVE lets readers in but keeps other writers (another run of this
        # loader too) out between reading where the ids continue and moving the sequences.
        cursor.execute(f"LOCK TABLE {', '.join(BULK_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        # What a foreign-key trigger would lock: the referenced rows cannot be deleted
        # before the batch commits.
        for table, ids in catalogue.referenced_ids().items():
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) FOR KEY SHARE", [ids])


def _sequences() -> dict[str, str]:
    """The sequence behind each bulk table's identity column (PostgreSQL names it)."""
    parts = [f"SELECT '{table}', pg_get_serial_sequence('{table}', 'id')" for table in BULK_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def _next_ids(sequences: dict[str, str]) -> dict[str, int]:
    """The first free id of each bulk table: past both its rows and its sequence."""
    parts = [
        f"SELECT '{table}', GREATEST((SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), "
        f"(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {sequence}))"
        for table, sequence in sequences.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: int(next_id) for table, next_id in cursor.fetchall()}


def _advance_sequences(sequences: dict[str, str], next_ids: dict[str, int]) -> None:
    """Move each sequence to the last id written, so that later inserts get fresh ids."""
    with connection.cursor() as cursor:
        for table, next_id in next_ids.items():
            if next_id > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequences[table], next_id - 1])


def _may_skip_foreign_key_triggers() -> bool:
    # session_replication_role, which turns the triggers off, is a superuser setting (the
    # embedded server's role is one); elsewhere the triggers simply stay on.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        return bool(cursor.fetchone()[0])


class Statistics:
    """Analyzes each bulk table whenever its rows have doubled since the last analysis, so
    that the planner's idea of its size is never off by more than half: a table thought
    small is scanned whole rather than read by index. Autovacuum cannot do it here: it
    does not see the uncommitted rows of the empty load's transaction, and appended batches
    hold the table locks that its analyses wait for. Only the columns the check reads are
    analyzed (the id and the foreign keys: cheap, where the logs and documents are not),
    about log2(rows / batch) times in all; every column is analyzed after the load."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            # reltuples: the rows at the last analysis (-1: never analyzed).
            cursor.execute("SELECT relname, greatest(reltuples, 0)::bigint FROM pg_class "
                           "WHERE oid = ANY(%s::regclass[])", [list(BULK_TABLES)])
            self.analyzed = dict(cursor.fetchall())
        self.rows = dict(self.analyzed)
        self.columns = {table: ["id"] for table in BULK_TABLES}
        for table, column, _parent in _foreign_keys():
            self.columns[table].append(column)

    def refresh(self, written: dict[str, int]) -> None:
        for table, rows in written.items():
            self.rows[table] += rows
        stale = [table for table in BULK_TABLES if self.rows[table] > 2 * self.analyzed[table]]
        if stale:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(
                    f"{table} ({', '.join(self.columns[table])})" for table in stale))
            for table in stale:
                self.analyzed[table] = self.rows[table]


def _copy(batch: Batch, *, skip_triggers: bool, statistics: Statistics) -> None:
    with connection.cursor() as cursor:
        if skip_triggers:
            cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
        for table in BULK_TABLES:
            if batch.counts[table]:
                columns = ", ".join(COLUMNS[table])
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(batch.rows[table])
        if skip_triggers:
            cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")
            statistics.refresh(batch.counts)
            _check_references(cursor, batch)
        else:
            # The foreign-key checks the batch queued run now, not at a commit that may be
            # the empty load's, millions of rows later.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _check_references(cursor: object, batch: Batch) -> None:
    """Stand in for the skipped foreign-key triggers, one query per foreign key.

    Most references point at rows of the same batch: those have exactly the ids
    ``[first_ids, next_ids)``, so a range test proves they exist; only the others are
    looked up.
    """
    for table in BULK_TABLES:
        written = batch.counts[table]
        if written != batch.next_ids[table] - batch.first_ids[table]:
            raise IntegrityError(f"{table}: {written} rows do not fill their id range")
    checks = []
    for child, column, parent in _foreign_keys():
        broken = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
        if parent in batch.first_ids:
            first, end = batch.first_ids[parent], batch.next_ids[parent]
            broken = f"(c.{column} < {first} OR c.{column} >= {end}) AND {broken}"
        checks.append(
            f"SELECT '{child}.{column}' WHERE EXISTS (SELECT 1 FROM {child} c "
            f"WHERE c.id >= {batch.first_ids[child]} AND c.id < {batch.next_ids[child]} "
            f"AND c.{column} IS NOT NULL AND {broken})"
        )
    cursor.execute(" UNION ALL ".join(checks))
    broken_columns = [row[0] for row in cursor.fetchall()]
    if broken_columns:
        raise IntegrityError(f"demo rows reference missing rows: {', '.join(broken_columns)}")


def _foreign_keys() -> list[tuple[str, str, str]]:
    """(table, column, referenced table) of every foreign key of the bulk tables."""
    tables = set(BULK_TABLES)
    return [
        (model._meta.db_table, field.column, field.related_model._meta.db_table)
        for model in apps.get_models()
        if model._meta.db_table in tables
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
    ]
