"""``/job-types/`` and ``/job-types/{id}/``, as job_type.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from job.models import Job, JobType
from tests import factories
from tests.api_checks import statement_count

pytestmark = pytest.mark.django_db

ROW_KEYS = [
    "id", "name", "version", "title", "description", "category", "author_name",
    "author_url", "is_system", "is_long_running", "is_active", "is_operational",
    "is_paused", "icon_code", "uses_docker", "docker_privileged", "docker_image",
    "revision_num", "priority", "timeout", "max_scheduled", "max_tries", "cpus_required",
    "mem_required", "disk_out_const_required", "disk_out_mult_required", "created",
    "archived", "paused", "last_modified",
]
DETAIL_KEYS = [
    *ROW_KEYS, "interface", "error_mapping", "trigger_rule", "errors", "job_counts_6h",
    "job_counts_12h", "job_counts_24h",
]


@pytest.fixture
def job_types(db):
    return [
        factories.JobTypeFactory(name="scale-ingest", version="2.0", category="system",
                                 priority=5),
        factories.JobTypeFactory(name="scale-ingest", version="1.0", category="system",
                                 priority=50),
        factories.JobTypeFactory(name="kml-footprint", version="1.0", category="footprint",
                                 priority=20, cpus_required=2.0),
    ]


def _names(client, **params):
    response = client.get("/job-types/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [(row["name"], row["version"]) for row in response.json()["results"]]


def test_rows_have_the_documented_keys_in_order(api_client, job_types):
    body = api_client.get("/job-types/").json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert list(row) == ROW_KEYS
    assert row["cpus_required"] == 2.0 and isinstance(row["cpus_required"], float)
    assert row["max_scheduled"] is None


def test_default_order_is_name_then_version(api_client, job_types):
    assert _names(api_client) == [
        ("kml-footprint", "1.0"), ("scale-ingest", "1.0"), ("scale-ingest", "2.0")
    ]


def test_order_takes_repeated_fields_and_descending(api_client, job_types):
    assert _names(api_client, order="-priority") == [
        ("scale-ingest", "1.0"), ("kml-footprint", "1.0"), ("scale-ingest", "2.0")
    ]
    assert _names(api_client, order=["name", "-version"])[1:] == [
        ("scale-ingest", "2.0"), ("scale-ingest", "1.0")
    ]


def test_name_and_category_filters_are_repeatable(api_client, job_types):
    assert _names(api_client, name="kml-footprint") == [("kml-footprint", "1.0")]
    assert len(_names(api_client, category=["system", "footprint"])) == 3
    assert _names(api_client, category="none-such") == []


def test_time_window_is_on_last_modified(api_client, job_types):
    old = job_types[0]
    JobType.objects.filter(pk=old.pk).update(last_modified=timezone.now() - timedelta(days=3))
    assert ("scale-ingest", "2.0") not in _names(api_client, started="P1D")
    assert _names(api_client, ended="P2D") == [("scale-ingest", "2.0")]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"order": "interface"}, "order"),
        ({"started": "yesterday"}, "started"),
        ({"started": "2015-01-02T00:00:00Z", "ended": "2015-01-01T00:00:00Z"}, "started"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, job_types, params, named):
    response = api_client.get("/job-types/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_other_parameters(api_client, job_types):
    body = api_client.get("/job-types/", {"page_size": 1, "page": 2, "category": "system"}).json()
    assert body["count"] == 2
    assert body["previous"] == "http://testserver/job-types/?category=system&page_size=1"
    assert body["next"] is None
    assert api_client.get("/job-types/", {"page": 9}).status_code == 404


def test_details_show_mapping_errors_rule_and_recent_counts(api_client, job_types):
    job_type = job_types[2]
    timeout = factories.ErrorFactory(name="timeout", category="SYSTEM")
    factories.ErrorFactory(name="unmapped")
    job_type.error_mapping = {"version": "1.0", "exit_codes": {"1": "timeout", "5": "gone"}}
    job_type.trigger_rule = factories.TriggerRuleFactory()
    job_type.save()
    now = timezone.now()
    for hours, status, error in [(1, "FAILED", timeout), (2, "FAILED", timeout),
                                 (8, "COMPLETED", None), (30, "COMPLETED", None)]:
        job = factories.JobFactory(job_type=job_type, status=status, error=error)
        Job.objects.filter(pk=job.pk).update(last_status_change=now - timedelta(hours=hours))

    response = api_client.get(f"/job-types/{job_type.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == DETAIL_KEYS
    assert body["error_mapping"] == job_type.error_mapping
    assert body["trigger_rule"]["id"] == job_type.trigger_rule_id
    assert [error["name"] for error in body["errors"]] == ["timeout"]
    six = body["job_counts_6h"]
    assert [(c["status"], c["count"], c["category"]) for c in six] == [("FAILED", 2, "SYSTEM")]
    assert six[0]["most_recent"].endswith("Z")
    assert [(c["status"], c["count"]) for c in body["job_counts_12h"]] == [
        ("COMPLETED", 1), ("FAILED", 2)
    ]
    assert sum(c["count"] for c in body["job_counts_24h"]) == 3


@pytest.mark.parametrize("path", ["/job-types/abc/", "/job-types/0/", "/job-types/999999/"])
def test_unknown_job_types_are_404(api_client, job_types, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "job type" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    factories.JobTypeFactory()
    one = statement_count(api_client, "/job-types/")
    for _ in range(20):
        factories.JobFactory(job_type=factories.JobTypeFactory())
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == statement_count(api_client, "/job-types/") == 1
    # One statement: the job type's JSON with everything nested.
    assert statement_count(api_client, f"/job-types/{JobType.objects.first().pk}/") == 1
