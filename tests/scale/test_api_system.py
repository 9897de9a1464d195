"""``/status/`` and ``/version/``, as system.rst defines them, for a service without Mesos."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import scale
from tests import factories

pytestmark = pytest.mark.django_db


def test_version_is_the_service_version(api_client):
    for path in ("/version/", "/v3/version/"):
        response = api_client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"version": scale.__version__}


def test_status_says_there_is_no_master_or_scheduler(api_client):
    body = api_client.get("/status/").json()
    assert list(body) == ["master", "scheduler", "queue_depth", "resources"]
    assert body["master"] == {"is_online": False, "hostname": None, "port": None}
    assert body["scheduler"] == {"is_online": False, "is_paused": None, "hostname": None}
    assert body["queue_depth"] == 0
    assert body["resources"] == {
        "total": None, "scheduled": {"cpus": 0.0, "mem": 0.0, "disk": 0.0}, "used": None
    }


def test_status_counts_queued_jobs_and_running_resources(api_client):
    factories.JobFactory.create_batch(3, status="QUEUED")
    for cpus in (1.0, 2.5):
        factories.JobExecutionFactory(job=factories.JobFactory(status="RUNNING"),
                                      status="RUNNING", cpus_scheduled=cpus,
                                      mem_scheduled=1024.0, disk_total_scheduled=10.0)
    factories.JobExecutionFactory(job=factories.JobFactory(status="COMPLETED"),
                                  status="COMPLETED", cpus_scheduled=8.0)

    body = api_client.get("/v3/status/").json()

    assert body["queue_depth"] == 3
    scheduled = body["resources"]["scheduled"]
    assert scheduled == {"cpus": 3.5, "mem": 2048.0, "disk": 20.0}
    assert all(isinstance(value, float) for value in scheduled.values())


def test_status_totals_the_hardware_the_online_nodes_reported(api_client):
    factories.NodeFactory(is_online=True, cpus_total=16.0, mem_total=65536.0,
                          disk_total=1048576.0)
    factories.NodeFactory(is_online=True, cpus_total=32.0, mem_total=131072.0,
                          disk_total=None)
    factories.NodeFactory(is_online=True)  # never reported its hardware
    factories.NodeFactory(is_online=False, cpus_total=64.0, mem_total=1.0, disk_total=1.0)
    factories.NodeFactory(is_online=True, is_active=False, cpus_total=64.0)
    # Nodes that workers keep alive are online while the keep-alive lasts.
    now = timezone.now()
    factories.NodeFactory(alive_until=now + timedelta(seconds=30), cpus_total=2.0,
                          mem_total=2.0, disk_total=2.0)
    factories.NodeFactory(alive_until=now - timedelta(seconds=1), is_online=True,
                          cpus_total=128.0, mem_total=1.0, disk_total=1.0)

    total = api_client.get("/status/").json()["resources"]["total"]

    assert total == {"cpus": 50.0, "mem": 196610.0, "disk": 1048578.0}
    assert all(isinstance(value, float) for value in total.values())


def test_writes_are_405(api_client):
    assert api_client.post("/status/", {}, format="json").status_code == 405
    assert api_client.delete("/version/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_status_query_count(api_client):
    factories.JobExecutionFactory(status="RUNNING")
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get("/status/").status_code == 200
    # BEGIN, SET TRANSACTION, the queue depth from job_count, the scheduled resources, the
    # online nodes' hardware, COMMIT.
    assert len(captured) == 6
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get("/version/").status_code == 200
    assert len(captured) == 0
