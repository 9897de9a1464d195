"""job_count: exact per (status, job type, error) whatever writes the jobs, and the lists
count through it only when its columns are all that is filtered."""

import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from error.models import Error
from job.models import Job, JobCount
from job.services import job_cancel, job_purge_batch
from scale import counters
from tests import factories
from tests.ledgers import ledger_sums

pytestmark = pytest.mark.django_db


def _counted() -> dict[tuple, int]:
    """job_count's non-zero sums per key."""
    return ledger_sums(JobCount, "status", "job_type_id", "error_id")


def _actual() -> dict[tuple, int]:
    """The same numbers, counted in the job table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, job_type_id, error_id, count(*) FROM job GROUP BY 1, 2, 3"
        )
        return {(status, type_id, error_id): n for status, type_id, error_id, n in cursor}


def _run_on_job_table(sql: str) -> None:
    """TRUNCATE or ALTER TABLE job inside the test's transaction."""
    with connection.cursor() as cursor:
        # The transaction holds deferred FK checks, which both refuse to leave pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)


@contextmanager
def recorded_sql():
    """The SQL of every query run inside, in order (the test client's request_started
    signal clears ``connection.queries``, so that log cannot be used here)."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


@pytest.fixture
def jobs():
    """Five jobs: two job types, two errors (one job without), three statuses."""
    first, second = factories.JobTypeFactory(), factories.JobTypeFactory()
    data_error = factories.ErrorFactory(category=Error.Category.DATA)
    system_error = factories.ErrorFactory(category=Error.Category.SYSTEM)
    return [
        factories.JobFactory(job_type=first, status="FAILED", error=data_error),
        factories.JobFactory(job_type=first, status="FAILED", error=system_error),
        factories.JobFactory(job_type=first, status="RUNNING"),
        factories.JobFactory(job_type=second, status="RUNNING"),
        factories.JobFactory(job_type=second, status="COMPLETED"),
    ]


def test_inserts_are_counted_per_status_job_type_and_error(jobs):
    failed_data, failed_system, running, other_running, completed = jobs
    assert _counted() == {
        ("FAILED", failed_data.job_type_id, failed_data.error_id): 1,
        ("FAILED", failed_system.job_type_id, failed_system.error_id): 1,
        ("RUNNING", running.job_type_id, None): 1,
        ("RUNNING", other_running.job_type_id, None): 1,
        ("COMPLETED", completed.job_type_id, None): 1,
    }


def test_jobs_with_no_error_share_one_counter_once_folded(jobs):
    factories.JobFactory(job_type=jobs[2].job_type, status="RUNNING")
    assert JobCount.objects.filter(status="RUNNING", job_type=jobs[2].job_type).count() == 2
    counters.fold(JobCount)
    running = JobCount.objects.get(status="RUNNING", job_type=jobs[2].job_type)
    assert (running.error_id, running.count, running.folded) == (None, 2, True)


def test_a_cancel_moves_the_job_between_counters(jobs):
    failed = jobs[0]
    job_cancel(job_id=failed.id)
    assert _counted() == _actual()
    assert ("FAILED", failed.job_type_id, failed.error_id) not in _counted()
    assert _counted()[("CANCELED", failed.job_type_id, None)] == 1


def test_bulk_updates_deletes_and_purges_keep_every_counter_exact(jobs):
    other_type = jobs[3].job_type
    Job.objects.filter(status="RUNNING").update(status="FAILED", job_type=other_type)
    assert _counted() == _actual()
    Job.objects.filter(pk=jobs[4].pk).update(priority=1)  # no counted column: no change
    assert _counted() == _actual()
    Job.objects.filter(status="COMPLETED").update(last_modified=timezone.now() - timedelta(1))
    assert job_purge_batch(modified_before=timezone.now() - timedelta(hours=1)).jobs == 1
    assert _counted() == _actual()
    Job.objects.filter(pk=jobs[0].pk).delete()
    assert _counted() == _actual()
    assert sum(_counted().values()) == 3


def test_copy_with_triggers_off_and_truncate_are_counted(jobs):
    """The demo loader's COPY runs with session_replication_role = replica."""
    template = jobs[3]
    columns = (
        "job_type_id, job_type_rev_id, event_id, status, priority, num_exes, timeout, "
        "max_tries, cpus_required, mem_required, data, created, last_modified"
    )
    now = timezone.now().isoformat()
    line = (
        f"{template.job_type_id}\t{template.job_type_rev_id}\t{template.event_id}\tQUEUED\t"
        f"1\t0\t1\t1\t1\t1\t{{}}\t{now}\t{now}\n"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
        with cursor.copy(f"COPY job ({columns}) FROM STDIN") as copy:
            copy.write(line * 3)
        cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")
    assert _counted()[("QUEUED", template.job_type_id, None)] == 3
    assert _counted() == _actual()

    _run_on_job_table("TRUNCATE job CASCADE")
    assert _counted() == {} == _actual()


# Each filter of the lists that job_count answers, alone and combined.
COUNTED_QUERIES = [
    {},
    {"status": "FAILED"},
    {"status": ["FAILED", "RUNNING"]},
    {"error_category": "DATA"},
    {"error_category": ["DATA", "SYSTEM"], "status": "FAILED"},
    {"job_type_category": "cat-a"},
    {"status": "RUNNING", "order": "-priority"},
]


@pytest.fixture
def named_jobs(jobs):
    first, second = jobs[0].job_type, jobs[3].job_type
    first.category, second.category = "cat-a", "cat-b"
    first.save()
    second.save()
    return jobs


@pytest.mark.parametrize("url", ["/jobs/", "/jobs/updates/", "/jobs/executions/"])
@pytest.mark.parametrize("params", COUNTED_QUERIES)
def test_counted_filters_give_the_count_of_the_rows(api_client, named_jobs, url, params):
    with recorded_sql() as statements:
        response = api_client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == len(body["results"])  # all fit in one page
    # A window that holds every job makes the list count its rows instead.
    everything = {**params, "started": "2000-01-01T00:00:00Z"}
    assert api_client.get(url, everything).json()["count"] == body["count"]
    # The first statement after the answer's snapshot begins (a savepoint in a test).
    count_sql = next(sql for sql in statements if "SAVEPOINT" not in sql)
    assert 'FROM "job_count"' in count_sql, count_sql


def test_job_type_filters_are_counted_through_job_count(api_client, named_jobs):
    job_type = named_jobs[0].job_type
    for params in ({"job_type_id": job_type.id}, {"job_type_name": job_type.name}):
        assert api_client.get("/jobs/", params).json()["count"] == 3


@pytest.mark.parametrize(
    "params", [{"started": "PT1H"}, {"ended": "2100-01-01T00:00:00Z"}, {"job_id": "1"}]
)
def test_other_filters_count_the_job_rows(api_client, named_jobs, params):
    with recorded_sql() as statements:
        response = api_client.get("/jobs/", params)
    assert response.status_code == 200
    count_sql = next(sql for sql in statements if "SAVEPOINT" not in sql)
    assert 'FROM "job"' in count_sql and "job_count" not in count_sql, count_sql


def test_recount_jobs_repairs_counters_that_bypassed_triggers_missed(jobs):
    _run_on_job_table("ALTER TABLE job DISABLE TRIGGER job_count_insert")
    factories.JobFactory(job_type=jobs[0].job_type, status="QUEUED")
    factories.JobFactory(job_type=jobs[0].job_type, status="QUEUED")
    _run_on_job_table("ALTER TABLE job ENABLE ALWAYS TRIGGER job_count_insert")
    assert _counted() != _actual()

    out = io.StringIO()
    call_command("recount_jobs", stdout=out)

    assert out.getvalue().splitlines()[0] == (
        "job_count rebuilt: 6 counters summing 7; 1 was wrong."
    )
    assert _counted() == _actual()
    out = io.StringIO()
    call_command("recount_jobs", stdout=out)
    assert [line.split(";")[1] for line in out.getvalue().splitlines()] == [
        " 0 were wrong."
    ] * 7
