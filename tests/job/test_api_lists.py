"""Filters, order, time window and pagination of the three job lists."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from job.models import Job
from tests import factories
from tests.job.conftest import T0, set_times

pytestmark = pytest.mark.django_db

LISTS = ["/jobs/", "/jobs/updates/", "/jobs/executions/"]


def _ids(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def jobs(db):
    """Five jobs of three types and several statuses, last modified an hour apart."""
    ingest = factories.JobTypeFactory(name="scale-ingest", version="1.0", category="system")
    ingest2 = factories.JobTypeFactory(name="scale-ingest", version="2.0", category="system")
    kml = factories.JobTypeFactory(name="kml-footprint", version="1.0", category="footprint")
    data_error = factories.ErrorFactory(category="DATA")
    system_error = factories.ErrorFactory(category="SYSTEM")
    specs = [
        (ingest, Job.Status.COMPLETED, None),
        (ingest2, Job.Status.FAILED, data_error),
        (kml, Job.Status.RUNNING, None),
        (kml, Job.Status.FAILED, system_error),
        (ingest, Job.Status.QUEUED, None),
    ]
    created = []
    for hours, (job_type, status, error) in enumerate(specs):
        job = factories.JobFactory(job_type=job_type, status=status, error=error)
        created.append(
            set_times(
                job,
                last_modified=T0 + timedelta(hours=hours),
                # Reverse order of status changes, to tell the two default orders apart.
                last_status_change=T0 - timedelta(hours=hours),
            )
        )
    return created


def test_default_orders(api_client, jobs):
    by_modified = [j.id for j in jobs]
    assert _ids(api_client, "/jobs/") == by_modified
    assert _ids(api_client, "/jobs/executions/") == by_modified
    assert _ids(api_client, "/jobs/updates/") == list(reversed(by_modified))
    # A time window changes how updates are read, not their order.
    window = {"started": "2015-08-28T18:55:41.005Z", "ended": "2015-08-28T20:55:41.005Z"}
    assert _ids(api_client, "/jobs/updates/", **window) == [jobs[3].id, jobs[2].id, jobs[1].id]
    assert _ids(api_client, "/jobs/updates/", order="-id", **window) == [
        jobs[3].id, jobs[2].id, jobs[1].id,
    ]


@pytest.mark.parametrize("url", LISTS)
def test_equal_timestamps_are_ordered_by_id(api_client, url):
    same = [factories.JobFactory() for _ in range(4)]
    from job.models import Job as JobModel

    JobModel.objects.update(last_modified=T0, last_status_change=T0)
    ids = [j.id for j in same]
    assert _ids(api_client, url) == ids
    # Pages of one never overlap or skip.
    assert [_ids(api_client, url, page=n, page_size=1)[0] for n in range(1, 5)] == ids


@pytest.mark.parametrize("url", LISTS)
def test_status_filter_is_repeatable(api_client, jobs, url):
    assert set(_ids(api_client, url, status="FAILED")) == {jobs[1].id, jobs[3].id}
    assert set(_ids(api_client, url, status=["RUNNING", "QUEUED"])) == {jobs[2].id, jobs[4].id}


def test_job_id_filter_is_repeatable_on_the_job_list(api_client, jobs):
    assert _ids(api_client, "/jobs/", job_id=jobs[3].id) == [jobs[3].id]
    assert _ids(api_client, "/jobs/", job_id=[jobs[0].id, jobs[4].id]) == [jobs[0].id, jobs[4].id]


@pytest.mark.parametrize("url", LISTS)
def test_job_type_filters(api_client, jobs, url):
    kml_ids = {jobs[2].id, jobs[3].id}
    assert set(_ids(api_client, url, job_type_id=jobs[2].job_type_id)) == kml_ids
    assert set(
        _ids(api_client, url, job_type_id=[jobs[0].job_type_id, jobs[1].job_type_id])
    ) == {jobs[0].id, jobs[1].id, jobs[4].id}
    assert set(_ids(api_client, url, job_type_name="kml-footprint")) == kml_ids
    assert len(_ids(api_client, url, job_type_name=["kml-footprint", "scale-ingest"])) == 5
    assert set(_ids(api_client, url, job_type_category="footprint")) == kml_ids
    assert _ids(api_client, url, job_type_name="nothing-like-it") == []


@pytest.mark.parametrize("url", LISTS)
def test_error_category_filter(api_client, jobs, url):
    assert _ids(api_client, url, error_category="DATA") == [jobs[1].id]
    assert set(_ids(api_client, url, error_category=["DATA", "SYSTEM"])) == {
        jobs[1].id, jobs[3].id,
    }
    assert _ids(api_client, url, error_category="ALGORITHM") == []


@pytest.mark.parametrize("url", LISTS)
def test_filters_combine(api_client, jobs, url):
    assert _ids(api_client, url, status="FAILED", job_type_name="kml-footprint") == [jobs[3].id]


@pytest.mark.parametrize("url", LISTS)
def test_time_window_is_inclusive_on_last_modified(api_client, jobs, url):
    started = (T0 + timedelta(hours=1)).isoformat()
    ended = (T0 + timedelta(hours=3)).isoformat()
    ids = set(_ids(api_client, url, started=started, ended=ended))
    assert ids == {jobs[1].id, jobs[2].id, jobs[3].id}
    assert set(_ids(api_client, url, started="2015-08-28T21:55:41.005Z")) == {jobs[4].id}
    # An offset other than UTC means the same instant.
    assert set(_ids(api_client, url, ended="2015-08-28T12:55:41.005-05:00")) == {jobs[0].id}
    # An unencoded "+" arrives as a space; it still means a positive offset.
    assert set(_ids(api_client, url, ended="2015-08-28T19:55:41.005 02:00")) == {jobs[0].id}


@pytest.mark.parametrize("url", LISTS)
def test_time_window_accepts_durations_meaning_now_minus(api_client, jobs, url):
    recent = factories.JobFactory()
    set_times(recent, last_modified=timezone.now() - timedelta(minutes=30))
    assert _ids(api_client, url, started="PT1H") == [recent.id]
    assert _ids(api_client, url, started="PT3H0M0S") == [recent.id]
    assert set(_ids(api_client, url, ended="P1D")) == {j.id for j in jobs}


@pytest.mark.parametrize("url", LISTS)
def test_unknown_parameters_are_ignored(api_client, jobs, url):
    assert len(_ids(api_client, url, url="http://scale-ui/", foo="bar")) == 5


def test_order_descending_and_multiple_fields(api_client, jobs):
    assert _ids(api_client, "/jobs/", order="-last_modified") == [j.id for j in reversed(jobs)]
    ids = _ids(api_client, "/jobs/", order=["job_type__name", "-job_type__version"])
    # kml-footprint first; then scale-ingest 2.0 before 1.0; ties by id.
    assert ids == [jobs[2].id, jobs[3].id, jobs[1].id, jobs[0].id, jobs[4].id]
    assert _ids(api_client, "/jobs/", order=["status", "-id"]) == [
        jobs[0].id, jobs[3].id, jobs[1].id, jobs[4].id, jobs[2].id,
    ]


@pytest.mark.parametrize("url", LISTS)
def test_order_applies_to_every_list(api_client, jobs, url):
    assert _ids(api_client, url, order="-id") == [j.id for j in reversed(jobs)]


def test_pagination_counts_and_links_keep_other_parameters(api_client, jobs):
    statuses = ["FAILED", "COMPLETED", "QUEUED"]
    params = {"page_size": 1, "page": 2, "status": statuses, "order": "id", "url": "x"}
    body = api_client.get("/jobs/", params).json()
    assert body["count"] == 4
    assert [r["id"] for r in body["results"]] == [jobs[1].id]
    for link, page in ((body["next"], ["3"]), (body["previous"], None)):
        assert link.startswith("http://testserver/jobs/?")
        query = parse_qs(urlsplit(link).query)
        assert query["status"] == statuses
        assert query["order"] == ["id"]
        assert query["page_size"] == ["1"]
        assert query["url"] == ["x"]
        assert query.get("page") == page
    last = api_client.get("/jobs/", {**params, "page": 4}).json()
    assert last["next"] is None
    assert parse_qs(urlsplit(last["previous"]).query)["page"] == ["3"]


def test_default_page_size_is_100_and_1000_is_allowed(api_client):
    job_type = factories.JobTypeFactory()
    revision = factories.JobTypeRevisionFactory(job_type=job_type)
    event = factories.TriggerEventFactory()
    Job.objects.bulk_create(
        Job(job_type=job_type, job_type_rev=revision, event=event, data={}) for _ in range(101)
    )
    body = api_client.get("/jobs/").json()
    assert (body["count"], len(body["results"])) == (101, 100)
    assert len(api_client.get("/jobs/", {"page": 2}).json()["results"]) == 1
    assert len(api_client.get("/jobs/", {"page_size": 1000}).json()["results"]) == 101


def test_empty_list_is_a_page_not_a_404(api_client):
    body = api_client.get("/jobs/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("url", LISTS)
def test_page_past_the_end_is_404(api_client, jobs, url):
    response = api_client.get(url, {"page": 3, "page_size": 2})
    assert response.status_code == 200
    response = api_client.get(url, {"page": 4, "page_size": 2})
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"page: 4 is past the last page (3).\n"
