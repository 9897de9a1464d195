"""Counts of time windows from job_time_count: exact for any window and counted filters,
under concurrent writers and folds; and writers of one key never wait for each other."""

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from error.models import Error
from job.models import Job, JobTimeCount
from job.services import counters_rebuild
from scale import counters
from scale.api.pagination import window_buckets
from tests import factories
from tests.concurrency import held_open, set_lock_timeout, swapping_statuses
from tests.ledgers import BUCKET_KEYS, bucketed_jobs, ledger_sums

NOW = timezone.now()
SPAN = timedelta(days=3)


def _spread(jobs: list[Job], rng: random.Random, *, span: timedelta = SPAN) -> None:
    """Give the jobs random last_modified times over ``span`` before NOW, in one UPDATE."""
    values = ", ".join(
        f"({job.id}, TIMESTAMPTZ '{(NOW - span * rng.random()).isoformat()}')" for job in jobs
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE job SET last_modified = v.at FROM (VALUES {values}) AS v(id, at) "
            "WHERE job.id = v.id"
        )


@pytest.fixture
def spread_jobs(db):
    rng = random.Random(15)
    job_types = [factories.JobTypeFactory(category=c) for c in ("cat-a", "cat-b")]
    errors = [factories.ErrorFactory(category=c) for c in (Error.Category.DATA,
                                                            Error.Category.SYSTEM)]
    jobs = []
    for _ in range(240):
        status = rng.choice(["QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"])
        error = rng.choice(errors) if status == "FAILED" else None
        jobs.append(factories.JobFactory(job_type=rng.choice(job_types), status=status,
                                         error=error))
    _spread(jobs, rng)
    return job_types


def _random_moment(rng: random.Random) -> datetime:
    """Anywhere around the jobs' span; now and then exactly on a minute, hour or day."""
    moment = NOW - (SPAN + timedelta(hours=2)) * rng.random() + timedelta(hours=1)
    unit = rng.choice([None, None, timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)])
    if unit is not None:
        origin = datetime(2000, 1, 1, tzinfo=UTC)
        moment -= (moment - origin) % unit
    return moment


def _expected(params: dict) -> int:
    jobs = Job.objects.all()
    lookups = {"status": "status__in", "job_type_id": "job_type_id__in",
               "job_type_category": "job_type__category__in",
               "error_category": "error__category__in"}
    for name, lookup in lookups.items():
        if name in params:
            jobs = jobs.filter(**{lookup: params[name]})
    if "started" in params:
        jobs = jobs.filter(last_modified__gte=params["started"])
    if "ended" in params:
        jobs = jobs.filter(last_modified__lte=params["ended"])
    return jobs.count()


def _statements_of(client: APIClient, url: str, params: dict) -> tuple[dict, list[str]]:
    statements: list[str] = []

    def record(execute, sql, sql_params, many, context):
        statements.append(sql)
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(record):
        body = client.get(url, params).json()
    return body, statements


@pytest.mark.django_db
def test_random_windows_and_filters_count_exactly_through_the_buckets(spread_jobs):
    rng = random.Random(10)
    client = APIClient()
    job_type_ids = [job_type.id for job_type in spread_jobs]
    for attempt in range(150):
        params: dict = {}
        first, second = sorted([_random_moment(rng), _random_moment(rng)])
        shape = rng.choice(["both", "both", "started", "ended"])
        if shape in ("both", "started"):
            params["started"] = first.isoformat()
        if shape in ("both", "ended"):
            params["ended"] = second.isoformat()
        if rng.random() < 0.4:
            params["status"] = rng.sample(["QUEUED", "RUNNING", "FAILED", "COMPLETED"],
                                          rng.randint(1, 2))
        if rng.random() < 0.3:
            params["job_type_id"] = [rng.choice(job_type_ids)]
        if rng.random() < 0.2:
            params["job_type_category"] = ["cat-b"]
        if rng.random() < 0.2:
            params["error_category"] = ["SYSTEM"]
        url = rng.choice(["/jobs/", "/jobs/updates/", "/jobs/executions/"])
        body, statements = _statements_of(client, url, params)
        assert body["count"] == _expected(params), (attempt, url, params)
        if first.replace(second=0, microsecond=0) + timedelta(minutes=2) <= second:
            # A window of whole minutes: the count sums buckets (one statement per page).
            page_sql = next(sql for sql in statements if "SAVEPOINT" not in sql)
            assert 'FROM "job_time_count"' in page_sql, (params, page_sql)


@pytest.mark.django_db
def test_a_window_past_the_last_page_still_counts(spread_jobs):
    params = {"started": (NOW - timedelta(days=1)).isoformat(), "page": 99}
    response = APIClient().get("/jobs/", params)
    assert response.status_code == 404
    pages = -(-_expected(params) // 100)
    assert response.content == f"page: 99 is past the last page ({pages}).\n".encode()


@pytest.mark.django_db
def test_recount_jobs_rebuilds_the_time_buckets(spread_jobs):
    assert ledger_sums(JobTimeCount, *BUCKET_KEYS) == bucketed_jobs("last_modified")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE job DISABLE TRIGGER job_time_count_track_update")
        cursor.execute("UPDATE job SET last_modified = last_modified - interval '5 hours'")
        cursor.execute("ALTER TABLE job ENABLE ALWAYS TRIGGER job_time_count_track_update")
    assert ledger_sums(JobTimeCount, *BUCKET_KEYS) != bucketed_jobs("last_modified")
    result = counters_rebuild(JobTimeCount)
    assert result.corrected > 0 and result.rows == 3 * Job.objects.count()
    assert ledger_sums(JobTimeCount, *BUCKET_KEYS) == bucketed_jobs("last_modified")
    assert not JobTimeCount.objects.filter(folded=False).exists()


def test_window_buckets_cover_the_window_exactly_with_few_buckets():
    rng = random.Random(3)
    widths = JobTimeCount.WIDTHS
    origin = datetime(2000, 1, 1, tzinfo=UTC)
    for _ in range(500):
        low = origin + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
        high = low + timedelta(minutes=rng.randint(1, 60 * 24 * 20))
        ranges = window_buckets(low, high, widths)
        covered = []
        for width, first, last in ranges:
            assert (first - origin) % timedelta(seconds=width) == timedelta(0)
            assert (last - first) % timedelta(seconds=width) == timedelta(0) and first < last
            covered.append((first, last))
        covered.sort()
        assert covered[0][0] == low and covered[-1][1] == high
        assert all(a[1] == b[0] for a, b in zip(covered, covered[1:], strict=False))
        # Whole days, then at most 23 hours and 59 minutes on each side.
        assert len(ranges) <= 5
    assert window_buckets(None, origin, widths) == [(86400, None, origin)]
    assert window_buckets(origin + timedelta(minutes=1), None, widths) == [
        (86400, origin + timedelta(days=1), None),
        (3600, origin + timedelta(hours=1), origin + timedelta(days=1)),
        (60, origin + timedelta(minutes=1), origin + timedelta(hours=1)),
    ]


@pytest.mark.django_db
def test_fold_merges_each_key_into_one_row_and_keeps_every_sum(spread_jobs):
    keys = BUCKET_KEYS
    before = ledger_sums(JobTimeCount, *keys)
    rows_before = JobTimeCount.objects.count()
    merged = counters.fold(JobTimeCount)
    assert merged == rows_before - JobTimeCount.objects.count() > 0
    assert ledger_sums(JobTimeCount, *keys) == before
    assert JobTimeCount.objects.filter(folded=False).count() == 0
    assert JobTimeCount.objects.filter(count=0).count() == 0
    assert counters.fold(JobTimeCount) == 0  # nothing new


@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_while_writers_and_folds_run():
    """Writers swap the statuses of two jobs (and move both to now) in one transaction:
    the number of jobs per status in a window that holds them all never changes, so
    every read of it, in its own snapshot, must see exactly that number."""
    rng = random.Random(7)
    job_type = factories.JobTypeFactory()
    jobs = [factories.JobFactory(job_type=job_type, status=s)
            for s in ["FAILED", "RUNNING"] * 20]
    _spread(jobs, rng, span=timedelta(hours=5))
    started = (NOW - timedelta(hours=6)).isoformat()
    expected = {
        (("started", started),): 40,
        (("started", started), ("status", "FAILED")): 20,
        (("started", started), ("ended", "2100-01-01T00:00:00Z"), ("status", "RUNNING")): 20,
    }
    client = APIClient()
    seen = 0
    with swapping_statuses([job.id for job in jobs], moved="last_modified",
                           fold=counters.fold_all) as swaps:
        for _ in range(100):
            for params, count in expected.items():
                body = client.get("/jobs/", dict(params)).json()
                assert body["count"] == count, (params, body["count"])
                seen += 1
    assert len(swaps) > 50 and seen == 300


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_counter_keys_do_not_wait_for_each_other():
    """The first writer holds its transaction open after changing a job; the second
    changes another job of the same type, status and hour and commits at once. With one
    counter row per key it would wait for the first to commit."""
    job_type = factories.JobTypeFactory()
    first, second = (factories.JobFactory(job_type=job_type, status="QUEUED")
                     for _ in range(2))
    def change_first() -> None:
        Job.objects.filter(pk=first.pk).update(status="RUNNING", started=timezone.now())

    with held_open(change_first):
        began = time.monotonic()
        with transaction.atomic():
            set_lock_timeout("2s")
            Job.objects.filter(pk=second.pk).update(status="RUNNING", started=timezone.now())
        waited = time.monotonic() - began
    assert waited < 1.0
    running = ledger_sums(JobTimeCount, "status", "width")
    assert running[("RUNNING", 60)] == 2
