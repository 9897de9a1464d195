"""``/job-executions/`` and ``/job-executions/{id}/``, as job_execution.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from job_exe.models import JobExecution
from tests import factories
from tests.api_checks import statements

pytestmark = pytest.mark.django_db

EXE_KEYS = [
    "id", "status", "command_arguments", "timeout", "pre_started", "pre_completed",
    "pre_exit_code", "job_started", "job_completed", "job_exit_code", "post_started",
    "post_completed", "post_exit_code", "created", "queued", "started", "ended",
    "last_modified", "job", "node", "error",
]
DETAIL_KEYS = [
    *EXE_KEYS, "environment", "cpus_scheduled", "mem_scheduled", "disk_in_scheduled",
    "disk_out_scheduled", "disk_total_scheduled", "results", "current_stdout_url",
    "current_stderr_url", "results_manifest",
]


@pytest.fixture
def executions(db):
    ingest = factories.JobTypeFactory(name="scale-ingest", category="system")
    kml = factories.JobTypeFactory(name="kml-footprint", category="footprint")
    node = factories.NodeFactory(hostname="a.cluster")
    error = factories.ErrorFactory(category="DATA")
    specs = [
        (ingest, "COMPLETED", node, None),
        (kml, "FAILED", node, error),
        (kml, "RUNNING", None, None),
    ]
    made = []
    now = timezone.now()
    for hours, (job_type, status, on, failed) in enumerate(specs):
        execution = factories.JobExecutionFactory(
            job=factories.JobFactory(job_type=job_type), status=status, node=on, error=failed,
            stdout="out" * 100, stderr="err",
        )
        JobExecution.objects.filter(pk=execution.pk).update(
            last_modified=now - timedelta(hours=10 - hours)
        )
        made.append(execution)
    return made


def _ids(client, **params):
    response = client.get("/job-executions/", params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_rows_nest_the_job_node_and_error(api_client, executions):
    rows = api_client.get("/job-executions/").json()["results"]
    assert [list(row) for row in rows] == [EXE_KEYS] * 3
    failed = rows[1]
    assert list(failed["job"]) == [
        "id", "job_type", "job_type_rev", "event", "error", "status", "priority", "num_exes"
    ]
    assert failed["job"]["job_type"]["name"] == "kml-footprint"
    assert failed["job"]["job_type_rev"] == {"id": executions[1].job.job_type_rev_id}
    assert failed["node"] == {"id": executions[1].node_id, "hostname": "a.cluster",
                              "port": 5051, "slave_id": executions[1].node.slave_id}
    assert failed["error"]["category"] == "DATA"
    assert rows[2]["node"] is None and rows[2]["error"] is None


def test_default_order_is_last_modified(api_client, executions):
    assert _ids(api_client) == [e.pk for e in executions]
    assert _ids(api_client, order="-last_modified") == [e.pk for e in reversed(executions)]


def test_filters(api_client, executions):
    first, second, third = (e.pk for e in executions)
    assert _ids(api_client, status="FAILED") == [second]
    assert _ids(api_client, status=["FAILED", "RUNNING"]) == [second, third]
    assert _ids(api_client, job_type_name="kml-footprint") == [second, third]
    assert _ids(api_client, job_type_category="system") == [first]
    assert _ids(api_client, job_type_id=executions[0].job.job_type_id) == [first]
    assert _ids(api_client, node_id=executions[0].node_id) == [first, second]
    assert _ids(api_client, started="PT9H30M") == [second, third]


@pytest.mark.parametrize(
    ("params", "named"),
    [({"status": "PENDING"}, "status"), ({"node_id": "x"}, "node_id"),
     ({"order": "stdout"}, "order"), ({"ended": "soon"}, "ended")],
)
def test_bad_parameters_are_400_naming_them(api_client, executions, params, named):
    response = api_client.get("/job-executions/", params)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{named}: ")


def test_details_have_the_documented_keys(api_client, executions):
    execution = executions[1]
    JobExecution.objects.filter(pk=execution.pk).update(
        cpus_scheduled=1.0, results={"version": "1.0", "output_data": []}
    )
    body = api_client.get(f"/job-executions/{execution.pk}/").json()
    assert list(body) == DETAIL_KEYS
    assert list(body["node"]) == ["id", "hostname", "port", "slave_id", "is_paused",
                                  "is_active", "archived", "created", "last_modified"]
    assert list(body["error"])[-2:] == ["created", "last_modified"]
    assert body["cpus_scheduled"] == 1.0 and isinstance(body["cpus_scheduled"], float)
    assert body["mem_scheduled"] is None
    assert body["results"] == {"version": "1.0", "output_data": []}
    assert body["environment"] == {} and body["results_manifest"] == {}
    assert body["current_stdout_url"] is None and body["current_stderr_url"] is None


@pytest.mark.parametrize("path", ["/job-executions/x/", "/job-executions/999999/"])
def test_unknown_executions_are_404(api_client, executions, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "job execution" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_logs_are_never_read_and_query_counts_do_not_grow(api_client):
    factories.JobExecutionFactory(stdout="x", stderr="y")
    one = statements(api_client, "/job-executions/")
    for _ in range(20):
        factories.JobExecutionFactory(error=factories.ErrorFactory(), stdout="x", stderr="y")
    many = statements(api_client, "/job-executions/")
    details = statements(api_client, f"/job-executions/{JobExecution.objects.first().pk}/")
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert len(one) == len(many) == 1
    # One statement: the execution's JSON.
    assert len(details) == 1
    for sql in many + details:
        assert '"stdout"' not in sql and '"stderr"' not in sql
