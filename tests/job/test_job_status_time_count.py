"""Job Type Details' counts of the last 6, 12 and 24 hours from job_status_time_count:
exact at the windows' edges, after status changes and folds, under concurrent writers,
and rebuilt by recount_jobs."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from error.models import Error
from job.models import Job, JobStatusTimeCount
from job.services import counters_rebuild
from scale import counters
from tests import factories
from tests.concurrency import swapping_statuses
from tests.ledgers import BUCKET_KEYS, bucketed_jobs, ledger_sums

WINDOWS = (6, 12, 24)


def _set_status_changes(changes: dict[int, object]) -> None:
    """Give jobs their last_status_change (a datetime, or None), in one UPDATE."""
    values = ", ".join(
        f"({job_id}, {'NULL' if at is None else repr(at.isoformat())}::timestamptz)"
        for job_id, at in changes.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE job SET last_status_change = v.at FROM (VALUES {values}) AS v(id, at) "
            "WHERE job.id = v.id"
        )


def _counted_by_the_jobs(job_type_id: int, hours: int) -> list[tuple]:
    """What job_counts_<hours>h must say, counted from the jobs themselves."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT j.status, e.category, count(*), max(j.last_status_change)
            FROM job j LEFT JOIN error e ON e.id = j.error_id
            WHERE j.job_type_id = %s
                AND j.last_status_change >= statement_timestamp() - %s * interval '1 hour'
            GROUP BY 1, 2 ORDER BY 1, 2""",
            [job_type_id, hours],
        )
        return [(status, category, count, most_recent.isoformat(timespec="milliseconds")
                 .replace("+00:00", "Z")) for status, category, count, most_recent in cursor]


def _served(client: APIClient, job_type_id: int) -> dict[int, list[tuple]]:
    body = client.get(f"/job-types/{job_type_id}/").json()
    return {hours: [(row["status"], row["category"], row["count"], row["most_recent"])
                    for row in body[f"job_counts_{hours}h"]] for hours in WINDOWS}


def _assert_exact(client: APIClient, job_types) -> None:
    for job_type in job_types:
        served = _served(client, job_type.pk)
        for hours in WINDOWS:
            assert served[hours] == _counted_by_the_jobs(job_type.pk, hours), (
                job_type.pk, hours)


@pytest.fixture
def changed_jobs(db):
    """Jobs of two types whose statuses changed over the last 30 hours, many of them
    within a minute and a half of a window's start (never within 2 s of it: the API and
    the check read the clock a few milliseconds apart), and some never."""
    rng = random.Random(14)
    job_types = [factories.JobTypeFactory() for _ in range(2)]
    errors = [
        factories.ErrorFactory(category=Error.Category.DATA),
        factories.ErrorFactory(category=Error.Category.SYSTEM),
        factories.ErrorFactory(category=Error.Category.SYSTEM),
    ]
    now = timezone.now()
    changes = {}
    for index in range(360):
        status = rng.choice(["PENDING", "QUEUED", "RUNNING", "FAILED", "COMPLETED",
                             "CANCELED"])
        job = factories.JobFactory(job_type=rng.choice(job_types), status=status,
                                   error=rng.choice(errors) if status == "FAILED" else None)
        if index % 3 == 0:
            offset = timedelta(seconds=rng.uniform(2, 90)) * rng.choice([-1, 1])
            changes[job.pk] = now - timedelta(hours=rng.choice(WINDOWS)) + offset
        elif index % 17 == 0:
            changes[job.pk] = None
        else:
            changes[job.pk] = now - timedelta(hours=30) * rng.random()
    _set_status_changes(changes)
    return job_types


@pytest.mark.django_db
def test_counts_equal_a_count_of_the_jobs_at_every_window_edge(api_client, changed_jobs):
    served = _served(api_client, changed_jobs[0].pk)
    # The fixture puts jobs of several statuses and categories in every window.
    assert all(len(rows) >= 5 for rows in served.values()), served
    assert served[6] != served[12] != served[24]
    _assert_exact(api_client, changed_jobs)


@pytest.mark.django_db
def test_counts_follow_status_changes_and_folds(api_client, changed_jobs):
    rng = random.Random(3)
    jobs = list(Job.objects.order_by("id"))
    for job in rng.sample(jobs, 60):
        Job.objects.filter(pk=job.pk).update(
            status=rng.choice(["RUNNING", "COMPLETED", "CANCELED"]), error=None,
            last_status_change=timezone.now())
    moved = {job.pk: timezone.now() - timedelta(hours=rng.choice(WINDOWS), seconds=30)
             for job in rng.sample(jobs, 40)}
    _set_status_changes(moved)
    Job.objects.filter(pk__in=[job.pk for job in rng.sample(jobs, 20)]).delete()
    assert JobStatusTimeCount.objects.filter(folded=False).exists()
    _assert_exact(api_client, changed_jobs)
    assert counters.fold(JobStatusTimeCount) > 0
    assert not JobStatusTimeCount.objects.filter(folded=False).exists()
    _assert_exact(api_client, changed_jobs)


@pytest.mark.django_db
def test_recount_jobs_rebuilds_the_status_time_buckets(changed_jobs):
    assert ledger_sums(JobStatusTimeCount, *BUCKET_KEYS) == bucketed_jobs("last_status_change")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE job DISABLE TRIGGER job_status_time_count_track_update")
        cursor.execute("UPDATE job SET last_status_change = last_status_change - interval '5 h'")
        cursor.execute(
            "ALTER TABLE job ENABLE ALWAYS TRIGGER job_status_time_count_track_update")
    assert ledger_sums(JobStatusTimeCount, *BUCKET_KEYS) != bucketed_jobs("last_status_change")
    result = counters_rebuild(JobStatusTimeCount)
    changed = Job.objects.filter(last_status_change__isnull=False).count()
    assert result.corrected > 0 and result.rows == 3 * changed
    assert ledger_sums(JobStatusTimeCount, *BUCKET_KEYS) == bucketed_jobs("last_status_change")
    assert not JobStatusTimeCount.objects.filter(folded=False).exists()


@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_while_writers_and_folds_run():
    """Writers swap the statuses of two jobs (and set both's status change to now) in one
    transaction: each status keeps 20 jobs in every window, so every read of the job
    type, in its own snapshot, must see exactly 20 of each."""
    job_type = factories.JobTypeFactory()
    jobs = [factories.JobFactory(job_type=job_type, status=s)
            for s in ["FAILED", "RUNNING"] * 20]
    now = timezone.now()
    _set_status_changes({job.pk: now - timedelta(hours=5) * random.Random(job.pk).random()
                         for job in jobs})
    client = APIClient()
    with swapping_statuses([job.id for job in jobs], moved="last_status_change",
                           fold=lambda: counters.fold(JobStatusTimeCount)) as swaps:
        for _ in range(60):
            served = _served(client, job_type.pk)
            for hours in WINDOWS:
                assert [(status, count) for status, _, count, _ in served[hours]] == [
                    ("FAILED", 20), ("RUNNING", 20)], (hours, served[hours])
    assert len(swaps) > 30
