"""job_exe_count: exact per (status, job type, node) whatever writes the executions, and
/job-executions/ counts through it only when its keys are all that is filtered."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from job_exe.models import JobExecution, JobExecutionCount
from tests import factories
from tests.ledgers import ledger_sums

pytestmark = pytest.mark.django_db


def _counted() -> dict[tuple, int]:
    """job_exe_count's non-zero sums per key."""
    return ledger_sums(JobExecutionCount, "status", "job_type_id", "node_id")


def _actual() -> dict[tuple, int]:
    """The same numbers, counted in the execution table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.status, j.job_type_id, e.node_id, count(*) "
            "FROM job_exe e JOIN job j ON j.id = e.job_id GROUP BY 1, 2, 3"
        )
        return {(status, type_id, node_id): n for status, type_id, node_id, n in cursor}


def _statements(api_client, url, params) -> tuple[dict, list[str]]:
    statements: list[str] = []

    def record(execute, sql, sql_params, many, context):
        statements.append(sql)
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(record):
        response = api_client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json(), [sql for sql in statements if "SAVEPOINT" not in sql]


@pytest.fixture
def executions():
    """Six executions: two job types (categories cat-a, cat-b), two nodes and one without,
    three statuses."""
    first = factories.JobTypeFactory(category="cat-a")
    second = factories.JobTypeFactory(category="cat-b")
    north, south = factories.NodeFactory(), factories.NodeFactory()
    job_a, job_b = factories.JobFactory(job_type=first), factories.JobFactory(job_type=second)
    return [
        factories.JobExecutionFactory(job=job_a, node=north, status="FAILED"),
        factories.JobExecutionFactory(job=job_a, node=north, status="COMPLETED"),
        factories.JobExecutionFactory(job=job_a, node=south, status="RUNNING"),
        factories.JobExecutionFactory(job=job_b, node=south, status="RUNNING"),
        factories.JobExecutionFactory(job=job_b, node=None, status="QUEUED"),
        factories.JobExecutionFactory(job=job_b, node=None, status="QUEUED"),
    ]


def test_inserts_updates_and_deletes_keep_every_counter_exact(executions):
    assert _counted() == _actual()
    assert _counted()[("QUEUED", executions[4].job.job_type_id, None)] == 2

    queued = executions[4]
    queued.status, queued.node = "RUNNING", executions[0].node
    queued.save()
    assert _counted() == _actual()
    JobExecution.objects.filter(status="RUNNING").update(status="CANCELED")
    assert _counted() == _actual()
    assert not JobExecution.objects.filter(status="RUNNING").exists()
    JobExecution.objects.filter(node=executions[0].node).delete()
    assert _counted() == _actual()
    JobExecution.objects.all().delete()
    assert _counted() == {} == _actual()


# Each filter that job_exe_count answers, alone and combined.
COUNTED_QUERIES = [
    {},
    {"status": "RUNNING"},
    {"status": ["QUEUED", "RUNNING"]},
    {"job_type_category": "cat-b"},
    {"status": "RUNNING", "job_type_category": ["cat-a", "cat-b"], "order": "-started"},
    {"node_id": "NORTH"},
]


def _query(params: dict, executions) -> dict:
    node = executions[0].node_id
    return {key: (node if value == "NORTH" else value) for key, value in params.items()}


@pytest.mark.parametrize("params", COUNTED_QUERIES)
def test_counted_filters_give_the_count_of_the_rows(api_client, executions, params):
    params = _query(params, executions)
    body, statements = _statements(api_client, "/job-executions/", params)
    assert body["count"] == len(body["results"]) > 0  # all fit in one page
    assert statements == [statements[0]] and 'FROM "job_exe_count"' in statements[0]
    # A window that holds every execution makes the list count its rows instead.
    everything = {**params, "started": "2000-01-01T00:00:00Z"}
    counted_rows, statements = _statements(api_client, "/job-executions/", everything)
    assert counted_rows["count"] == body["count"]
    assert "job_exe_count" not in statements[0]


def test_job_type_filters_are_counted_through_job_exe_count(api_client, executions):
    job_type = executions[0].job.job_type
    for params in ({"job_type_id": job_type.id}, {"job_type_name": job_type.name}):
        body, statements = _statements(api_client, "/job-executions/", params)
        assert body["count"] == 3 and 'FROM "job_exe_count"' in statements[0]


def test_recount_jobs_repairs_execution_counters_that_bypassed_triggers_missed(executions):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE job_exe DISABLE TRIGGER job_exe_count_insert")
    factories.JobExecutionFactory(job=executions[0].job, node=None, status="QUEUED")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE job_exe ENABLE ALWAYS TRIGGER job_exe_count_insert")
    assert _counted() != _actual()

    out = io.StringIO()
    call_command("recount_jobs", stdout=out)

    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("job_exe_count ")]
    assert line == "job_exe_count rebuilt: 6 counters summing 7; 1 was wrong."
    assert _counted() == _actual()
