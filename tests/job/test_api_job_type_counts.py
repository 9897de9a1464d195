"""``/job-types/status/``, ``/job-types/running/``, ``/job-types/system-failures/``, as
job_type.rst defines them: counted from the jobs, exactly."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from job.models import Job
from tests import factories

pytestmark = pytest.mark.django_db

BRIEF_KEYS = [
    "id", "name", "version", "title", "description", "category", "author_name",
    "author_url", "is_system", "is_long_running", "is_active", "is_operational",
    "is_paused", "icon_code",
]
ERROR_KEYS = ["id", "name", "title", "description", "category", "created", "last_modified"]


def _job(job_type, status, *, ago, error=None, started_ago=None):
    now = timezone.now()
    job = factories.JobFactory(job_type=job_type, status=status, error=error)
    Job.objects.filter(pk=job.pk).update(
        last_status_change=now - ago,
        started=None if started_ago is None else now - started_ago,
    )
    return job


@pytest.fixture
def counted(db):
    ingest = factories.JobTypeFactory(name="scale-ingest", version="1.0")
    kml = factories.JobTypeFactory(name="kml-footprint", version="1.0")
    idle = factories.JobTypeFactory(name="zz-idle", version="1.0")
    system = factories.ErrorFactory(name="node-lost", category="SYSTEM")
    other_system = factories.ErrorFactory(name="docker-failed", category="SYSTEM")
    data = factories.ErrorFactory(name="bad-data", category="DATA")
    _job(ingest, "COMPLETED", ago=timedelta(hours=1))
    _job(ingest, "COMPLETED", ago=timedelta(hours=2))
    _job(ingest, "COMPLETED", ago=timedelta(hours=5))  # outside the default 3 hours
    _job(ingest, "FAILED", ago=timedelta(hours=1), error=system)
    _job(ingest, "FAILED", ago=timedelta(minutes=30), error=data)
    # RUNNING for a day: counted by status whatever the window.
    _job(ingest, "RUNNING", ago=timedelta(days=1), started_ago=timedelta(days=1))
    _job(kml, "RUNNING", ago=timedelta(hours=2), started_ago=timedelta(hours=2))
    _job(kml, "RUNNING", ago=timedelta(hours=1), started_ago=timedelta(hours=1))
    _job(kml, "FAILED", ago=timedelta(days=3), error=system)
    _job(kml, "FAILED", ago=timedelta(days=2), error=system)
    _job(kml, "FAILED", ago=timedelta(days=1), error=other_system)
    return {"ingest": ingest, "kml": kml, "idle": idle, "system": system,
            "other_system": other_system}


def _get(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_status_lists_every_job_type_with_counts_of_the_last_3_hours(api_client, counted):
    body = _get(api_client, "/job-types/status/")
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    rows = body["results"]
    assert [list(row) for row in rows] == [["job_type", "job_counts"]] * 3
    assert [row["job_type"]["name"] for row in rows] == ["kml-footprint", "scale-ingest",
                                                          "zz-idle"]
    assert list(rows[0]["job_type"]) == BRIEF_KEYS
    counts = {(c["status"], c["category"]): c["count"] for c in rows[1]["job_counts"]}
    assert counts == {("COMPLETED", None): 2, ("FAILED", "DATA"): 1, ("FAILED", "SYSTEM"): 1,
                      ("RUNNING", None): 1}
    assert list(rows[1]["job_counts"][0]) == ["status", "count", "most_recent", "category"]
    assert [(c["status"], c["count"]) for c in rows[0]["job_counts"]] == [("RUNNING", 2)]
    assert rows[2]["job_counts"] == []


def test_status_window_takes_datetimes_and_durations(api_client, counted):
    rows = _get(api_client, "/job-types/status/", started="PT6H")["results"]
    ingest = {(c["status"], c["category"]): c["count"] for c in rows[1]["job_counts"]}
    assert ingest[("COMPLETED", None)] == 3
    ended = (timezone.now() - timedelta(hours=4)).isoformat()
    rows = _get(api_client, "/job-types/status/", started="P4D", ended=ended)["results"]
    kml = {(c["status"], c["category"]): c["count"] for c in rows[0]["job_counts"]}
    assert kml == {("FAILED", "SYSTEM"): 3, ("RUNNING", None): 2}


def test_status_most_recent_is_the_latest_status_change(api_client, counted):
    rows = _get(api_client, "/job-types/status/")["results"]
    running = [c for c in rows[0]["job_counts"] if c["status"] == "RUNNING"][0]
    latest = Job.objects.filter(job_type=counted["kml"], status="RUNNING").latest(
        "last_status_change").last_status_change
    assert running["most_recent"] == latest.strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{latest.microsecond // 1000:03d}Z")


@pytest.mark.parametrize(("params", "message"), [
    ({"started": "yesterday"}, "started"),
    ({"started": "2015-01-01T00:00:00"}, "started"),
    ({"started": "PT1H", "ended": "PT2H"}, "started"),
    ({"page": "0"}, "page"),
    ({"page_size": "1001"}, "page_size"),
])
def test_status_refuses_bad_parameters(api_client, counted, params, message):
    response = api_client.get("/job-types/status/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith(message)


def test_status_pages(api_client, counted):
    body = _get(api_client, "/job-types/status/", page_size=2, page=2)
    assert body["count"] == 3 and [r["job_type"]["name"] for r in body["results"]] == ["zz-idle"]
    assert api_client.get("/job-types/status/", {"page": 3, "page_size": 2}).status_code == 404


def test_running_counts_running_jobs_longest_running_first(api_client, counted):
    body = _get(api_client, "/job-types/running/")
    assert body["count"] == 2
    rows = body["results"]
    assert [list(row) for row in rows] == [["job_type", "count", "longest_running"]] * 2
    assert [(r["job_type"]["name"], r["count"]) for r in rows] == [
        ("scale-ingest", 1), ("kml-footprint", 2)
    ]
    assert list(rows[0]["job_type"]) == BRIEF_KEYS
    started = Job.objects.filter(job_type=counted["kml"], status="RUNNING").earliest(
        "started").started
    assert rows[1]["longest_running"].startswith(started.strftime("%Y-%m-%dT%H:%M:%S."))


def test_running_is_empty_without_running_jobs(api_client, db):
    factories.JobFactory(status="COMPLETED")
    assert _get(api_client, "/job-types/running/") == {
        "count": 0, "next": None, "previous": None, "results": []
    }


def test_system_failures_count_failed_jobs_per_type_and_system_error(api_client, counted):
    body = _get(api_client, "/job-types/system-failures/")
    rows = body["results"]
    assert body["count"] == 3
    assert [list(row) for row in rows] == [
        ["job_type", "error", "count", "first_error", "last_error"]
    ] * 3
    assert list(rows[0]["job_type"]) == BRIEF_KEYS and list(rows[0]["error"]) == ERROR_KEYS
    # Latest failure first: ingest (1 hour ago), kml's other error (1 day), kml's (2 days).
    assert [(r["job_type"]["name"], r["error"]["name"], r["count"]) for r in rows] == [
        ("scale-ingest", "node-lost", 1),
        ("kml-footprint", "docker-failed", 1),
        ("kml-footprint", "node-lost", 2),
    ]
    first = Job.objects.filter(job_type=counted["kml"], error=counted["system"]).earliest(
        "last_status_change").last_status_change
    assert rows[2]["first_error"].startswith(first.strftime("%Y-%m-%dT%H:%M:%S."))
    assert rows[2]["first_error"] < rows[2]["last_error"]


def test_system_failures_follow_cancels(api_client, counted):
    from job.services import job_cancel

    for job in Job.objects.filter(job_type=counted["ingest"], status="FAILED"):
        job_cancel(job_id=job.pk)
    rows = _get(api_client, "/job-types/system-failures/")["results"]
    assert [r["job_type"]["name"] for r in rows] == ["kml-footprint", "kml-footprint"]


@pytest.mark.parametrize("path", ["/job-types/running/", "/job-types/system-failures/",
                                  "/job-types/status/"])
def test_aggregates_ignore_unknown_parameters_and_are_under_v3(api_client, counted, path):
    assert _get(api_client, path, url="x") == _get(api_client, f"/v3{path}")


@pytest.mark.parametrize("path", ["/job-types/running/", "/job-types/system-failures/",
                                  "/job-types/status/"])
def test_aggregates_refuse_writes(api_client, counted, path):
    assert api_client.post(path, {}).status_code == 405


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/job-types/running/", "/job-types/system-failures/",
                                  "/job-types/status/"])
def test_aggregate_query_counts_do_not_grow_with_rows(api_client, path):
    error = factories.ErrorFactory(category="SYSTEM")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get(path, {"page_size": 1000}).status_code == 200
        return len(captured)

    _job(factories.JobTypeFactory(), "RUNNING", ago=timedelta(hours=1),
         started_ago=timedelta(hours=1))
    _job(factories.JobTypeFactory(), "FAILED", ago=timedelta(hours=1), error=error)
    one = queries()
    for _ in range(10):
        job_type = factories.JobTypeFactory()
        _job(job_type, "RUNNING", ago=timedelta(hours=1), started_ago=timedelta(hours=1))
        _job(job_type, "FAILED", ago=timedelta(hours=1), error=error)
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == queries() == 1


def test_postgresql_renders_what_plain_drf_renders(api_client, counted):
    import json

    from job import selectors
    from job.serializers import (
        JobTypeFailureSerializer,
        JobTypeRunningSerializer,
        JobTypeStatusSerializer,
    )

    def drf(serializer_class, queryset):
        return json.loads(json.dumps(serializer_class(queryset, many=True).data))

    assert _get(api_client, "/job-types/running/")["results"] == drf(
        JobTypeRunningSerializer, selectors.running_job_types())
    assert _get(api_client, "/job-types/system-failures/")["results"] == drf(
        JobTypeFailureSerializer, selectors.system_failures())
    from job.models import JobType
    assert _get(api_client, "/job-types/status/")["results"] == drf(
        JobTypeStatusSerializer, JobType.objects.order_by("name", "version", "id"))


def test_queue_status_groups_queued_jobs_by_job_type(api_client, db):
    from datetime import UTC, datetime

    ingest = factories.JobTypeFactory(name="scale-ingest")
    kml = factories.JobTypeFactory(name="kml-footprint")
    t0 = datetime(2015, 8, 28, 17, 55, 41, 5000, tzinfo=UTC)
    for job_type, priority, hours in ((ingest, 50, 1), (ingest, 10, 2), (kml, 10, 5),
                                      (kml, 100, 0)):
        job = factories.JobFactory(job_type=job_type, status="QUEUED", priority=priority)
        Job.objects.filter(pk=job.pk).update(queued=t0 - timedelta(hours=hours))
    factories.JobFactory(job_type=factories.JobTypeFactory(), status="RUNNING")
    body = _get(api_client, "/queue/status/")
    assert body["count"] == 2
    rows = body["results"]
    assert [list(row) for row in rows] == [
        ["job_type", "count", "longest_queued", "highest_priority"]] * 2
    assert list(rows[0]["job_type"]) == BRIEF_KEYS
    # Both have priority 10 at best: the one queued longest (kml, 5 hours) first.
    assert [(r["job_type"]["name"], r["count"], r["longest_queued"], r["highest_priority"])
            for r in rows] == [
        ("kml-footprint", 2, "2015-08-28T12:55:41.005Z", 10),
        ("scale-ingest", 2, "2015-08-28T15:55:41.005Z", 10),
    ]
    assert _get(api_client, "/v3/queue/status/", url="x") == body
    assert api_client.get("/queue/status/1/").status_code == 404
    assert api_client.post("/queue/status/").status_code == 405
    assert api_client.get("/queue/status/", {"page": "2.0"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_queue_status_query_count_does_not_grow_with_rows(api_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get("/queue/status/", {"page_size": 1000}).status_code == 200
        return len(captured)

    factories.JobFactory(status="QUEUED")
    one = queries()
    for _ in range(10):
        factories.JobFactory(status="QUEUED")
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == queries() == 1
