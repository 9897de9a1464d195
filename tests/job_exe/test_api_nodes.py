"""``/nodes/``, ``/nodes/{id}/`` and ``/nodes/status/``, as node.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from job_exe.models import JobExecution, Node
from tests import factories
from tests.api_checks import statement_count

pytestmark = pytest.mark.django_db

NODE_KEYS = [
    "id", "hostname", "port", "slave_id", "pause_reason", "is_paused", "is_paused_errors",
    "is_active", "archived", "created", "last_offer", "last_modified",
]
RUNNING_KEYS = [
    "id", "status", "command_arguments", "timeout", "pre_started", "pre_completed",
    "pre_exit_code", "job_started", "job_completed", "job_exit_code", "post_started",
    "post_completed", "post_exit_code", "created", "queued", "started", "ended",
    "last_modified", "job", "node", "error", "cpus_scheduled", "mem_scheduled",
    "disk_in_scheduled", "disk_out_scheduled", "disk_total_scheduled",
]
STATUS_KEYS = ["node", "is_online", "job_exe_counts", "job_exes_running"]


@pytest.fixture
def nodes(db):
    now = timezone.now()
    made = [
        factories.NodeFactory(hostname="c.cluster", is_paused=True, pause_reason="upgrade"),
        factories.NodeFactory(hostname="a.cluster"),
        factories.NodeFactory(hostname="b.cluster", is_active=False, archived=now),
    ]
    for hours, node in zip((30, 20, 10), made, strict=True):
        Node.objects.filter(pk=node.pk).update(last_modified=now - timedelta(hours=hours))
    return made


def _execution(node, status, *, hours_ago=0.0, error=None, **fields):
    execution = factories.JobExecutionFactory(node=node, status=status, error=error, **fields)
    JobExecution.objects.filter(pk=execution.pk).update(
        last_modified=timezone.now() - timedelta(hours=hours_ago)
    )
    return execution


def _hosts(client, path="/nodes/", **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    results = response.json()["results"]
    return [row["node"]["hostname"] if "node" in row else row["hostname"] for row in results]


def test_rows_have_the_documented_keys_in_order(api_client, nodes):
    body = api_client.get("/nodes/").json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert list(row) == NODE_KEYS
    assert (row["hostname"], row["is_paused"], row["pause_reason"]) == (
        "c.cluster", True, "upgrade"
    )
    assert row["is_paused_errors"] is False and row["last_offer"] is None


def test_inactive_nodes_only_with_include_inactive(api_client, nodes):
    assert _hosts(api_client) == ["c.cluster", "a.cluster"]
    assert _hosts(api_client, include_inactive="true") == ["c.cluster", "a.cluster", "b.cluster"]
    assert _hosts(api_client, include_inactive="False") == ["c.cluster", "a.cluster"]


def test_order_and_time_window(api_client, nodes):
    assert _hosts(api_client, order="hostname") == ["a.cluster", "c.cluster"]
    assert _hosts(api_client, order=["-is_active", "-hostname"], include_inactive="1") == [
        "c.cluster", "a.cluster", "b.cluster"
    ]
    assert _hosts(api_client, started="PT25H") == ["a.cluster"]
    assert _hosts(api_client, ended="PT25H") == ["c.cluster"]


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/nodes/", {"include_inactive": "yes please"}, "include_inactive"),
        ("/nodes/", {"order": "pause_reason"}, "order"),
        ("/nodes/", {"started": "soon"}, "started"),
        ("/nodes/", {"page_size": "1001"}, "page_size"),
        ("/nodes/status/", {"started": "soon"}, "started"),
        ("/nodes/status/", {"started": "2015-01-02T00:00:00Z",
                            "ended": "2015-01-01T00:00:00Z"}, "started"),
        ("/nodes/status/", {"page": "0"}, "page"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, nodes, path, params, named):
    response = api_client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_details_list_the_running_executions(api_client, nodes):
    node = nodes[1]
    later = _execution(node, "RUNNING", hours_ago=1, cpus_scheduled=2.0, mem_scheduled=512.0)
    earlier = _execution(node, "RUNNING", hours_ago=2)
    _execution(node, "COMPLETED")
    _execution(nodes[0], "RUNNING")

    response = api_client.get(f"/nodes/{node.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [*NODE_KEYS, "job_exes_running", "resources", "disconnected"]
    running = body["job_exes_running"]
    assert [execution["id"] for execution in running] == [earlier.pk, later.pk]
    assert list(running[0]) == RUNNING_KEYS
    assert running[0]["node"] == {"id": node.pk}
    assert list(running[0]["job"]) == ["id", "job_type", "job_type_rev", "event", "error",
                                       "status", "priority", "num_exes"]
    assert (running[1]["cpus_scheduled"], running[1]["mem_scheduled"]) == (2.0, 512.0)
    # An inactive node's details are still served.
    assert api_client.get(f"/nodes/{nodes[2].pk}/").json()["job_exes_running"] == []


def test_details_resources_are_the_hardware_and_what_runs_there(api_client, nodes):
    node = nodes[1]
    Node.objects.filter(pk=node.pk).update(cpus_total=16.0, mem_total=65536.0, disk_total=1.5e6)
    _execution(node, "RUNNING", cpus_scheduled=2.0, mem_scheduled=512.0,
               disk_total_scheduled=100.5)
    _execution(node, "RUNNING", cpus_scheduled=1.5, mem_scheduled=1024.0,
               disk_total_scheduled=None)
    _execution(node, "COMPLETED", cpus_scheduled=8.0, mem_scheduled=8.0,
               disk_total_scheduled=8.0)  # no longer running: not scheduled
    _execution(nodes[0], "RUNNING", cpus_scheduled=4.0)  # another node's

    body = api_client.get(f"/nodes/{node.pk}/").json()

    assert body["resources"] == {
        "total": {"cpus": 16.0, "mem": 65536.0, "disk": 1.5e6},
        "scheduled": {"cpus": 3.5, "mem": 1536.0, "disk": 100.5},
        "used": {"cpus": None, "mem": None, "disk": None},
    }
    assert list(body["resources"]) == ["total", "scheduled", "used"]
    # Floats stay floats, as DRF writes them: 16.0, not 16.
    assert b'"cpus":16.0' in api_client.get(f"/nodes/{node.pk}/").content.replace(b" ", b"")
    # A node that never reported its hardware and runs nothing: null totals, zero scheduled.
    idle = api_client.get(f"/nodes/{nodes[0].pk}/").json()["resources"]
    assert idle["total"] == {"cpus": None, "mem": None, "disk": None}
    assert idle["scheduled"] == {"cpus": 4.0, "mem": 0.0, "disk": 0.0}
    assert api_client.get(f"/nodes/{nodes[2].pk}/").json()["resources"]["scheduled"] == {
        "cpus": 0.0, "mem": 0.0, "disk": 0.0
    }


def test_online_is_the_keep_alive_for_worker_nodes_else_as_reported(api_client, nodes):
    now = timezone.now()
    kept, lapsed, reported = nodes[1], nodes[0], factories.NodeFactory(
        hostname="d.cluster", is_online=True
    )
    # A lapsed keep-alive wins over a stale report: the worker's word is the live one.
    Node.objects.filter(pk=kept.pk).update(alive_until=now + timedelta(seconds=20))
    Node.objects.filter(pk=lapsed.pk).update(alive_until=now - timedelta(seconds=1),
                                             is_online=True)

    rows = api_client.get("/nodes/status/").json()["results"]
    online = {row["node"]["hostname"]: row["is_online"] for row in rows}
    assert online == {"a.cluster": True, "c.cluster": False, "d.cluster": True}
    disconnected = {
        node.hostname: api_client.get(f"/nodes/{node.pk}/").json()["disconnected"]
        for node in (kept, lapsed, reported, nodes[2])
    }
    # The inactive node is not disconnected: it is gone.
    assert disconnected == {"a.cluster": False, "c.cluster": True, "d.cluster": False,
                            "b.cluster": False}


@pytest.mark.parametrize("path", ["/nodes/abc/", "/nodes/0/", "/nodes/999999/"])
def test_unknown_nodes_are_404(api_client, nodes, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "node" in response.content.decode()


def test_status_counts_recent_executions_of_active_nodes(api_client, nodes):
    node = nodes[1]
    data_error = factories.ErrorFactory(category="DATA")
    system_error = factories.ErrorFactory(category="SYSTEM")
    running = _execution(node, "RUNNING", hours_ago=0.5)
    _execution(node, "COMPLETED", hours_ago=1)
    newest_completed = _execution(node, "COMPLETED", hours_ago=0.25)
    _execution(node, "FAILED", hours_ago=2, error=data_error)
    _execution(node, "FAILED", hours_ago=2.5, error=system_error)
    _execution(node, "COMPLETED", hours_ago=5)  # before the default window of 3 hours
    _execution(nodes[2], "COMPLETED", hours_ago=1)  # an inactive node: not listed

    body = api_client.get("/nodes/status/").json()

    assert body["count"] == 2
    rows = body["results"]
    assert [row["node"]["hostname"] for row in rows] == ["a.cluster", "c.cluster"]
    row = rows[0]
    assert list(row) == STATUS_KEYS and list(row["node"]) == NODE_KEYS
    assert row["is_online"] is False
    counts = [(c["status"], c["count"], c["category"]) for c in row["job_exe_counts"]]
    assert counts == [("COMPLETED", 2, None), ("FAILED", 1, "DATA"), ("FAILED", 1, "SYSTEM"),
                      ("RUNNING", 1, None)]
    assert list(row["job_exe_counts"][0]) == ["status", "count", "most_recent", "category"]
    newest = JobExecution.objects.get(pk=newest_completed.pk).last_modified
    assert row["job_exe_counts"][0]["most_recent"] == (
        newest.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    assert [execution["id"] for execution in row["job_exes_running"]] == [running.pk]
    assert list(row["job_exes_running"][0]) == RUNNING_KEYS
    assert rows[1]["job_exe_counts"] == [] and rows[1]["job_exes_running"] == []


def test_status_window_chooses_the_executions_counted(api_client, nodes):
    node = nodes[1]
    _execution(node, "COMPLETED", hours_ago=5)
    _execution(node, "COMPLETED", hours_ago=1)

    def completed(**params):
        rows = api_client.get("/nodes/status/", params).json()["results"]
        return sum(c["count"] for c in rows[0]["job_exe_counts"])

    assert completed() == 1
    assert completed(started="PT6H") == 2
    assert completed(started="PT6H", ended="PT2H") == 1
    assert completed(started="PT10H", ended="PT8H") == 0


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    first = factories.NodeFactory()
    one = [statement_count(api_client, "/nodes/"), statement_count(api_client, "/nodes/status/")]
    for _ in range(10):
        node = factories.NodeFactory()
        for status in ("RUNNING", "COMPLETED", "FAILED"):
            factories.JobExecutionFactory(node=node, status=status)
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    now = [statement_count(api_client, "/nodes/"), statement_count(api_client, "/nodes/status/")]
    assert one == now == [1, 1]
    # One statement: the node's JSON with its running executions.
    assert statement_count(api_client, f"/nodes/{first.pk}/") == 1


@pytest.mark.parametrize(
    "path", ["/nodes/", "/nodes/status/", "/errors/", "/recipes/", "/recipe-types/", "/status/",
             "/version/"]
)
def test_browsable_api_renders_the_neighbouring_reads(api_client, nodes, path):
    factories.JobExecutionFactory(node=nodes[1], status="RUNNING")
    response = api_client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
