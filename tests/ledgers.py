"""What a counter ledger (``scale.counters``) says: the sum of each key's rows."""

from django.db import connection
from django.db.models import Sum

BUCKET_KEYS = ("status", "job_type_id", "error_id", "width", "bucket")


def ledger_sums(model, *keys: str, value: str = "count") -> dict[tuple, int]:
    """The ledger's non-zero sums per key (``keys``: its key fields' attnames)."""
    rows = model.objects.order_by().values_list(*keys).annotate(total=Sum(value))
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}


def bucketed_jobs(column: str) -> dict[tuple, int]:
    """The jobs per ``BUCKET_KEYS``, the buckets of ``column`` (none where it is null),
    counted from the rows: what ``job_time_count`` (``last_modified``) and
    ``job_status_time_count`` (``last_status_change``) must sum to."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT status, job_type_id, error_id, w.width,
                date_bin(make_interval(secs => w.width), {column},
                         TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*)
            FROM job CROSS JOIN (VALUES (86400), (3600), (60)) AS w(width)
            WHERE {column} IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5"""
        )
        return {tuple(row[:-1]): row[-1] for row in cursor}
