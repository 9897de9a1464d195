"""Exactness the Scale web UI and strict clients rely on: whole-number ids, an exact cancel
body, dotted order paths, the /v3/ prefix, results that are always an object."""

import pytest

from job.models import Job
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(db):
    kinds = [("b-type", "SYSTEM"), ("a-type", "DATA"), ("c-type", "ALGORITHM")]
    made = []
    for title, category in kinds:
        job_type = factories.JobTypeFactory(title=title)
        error = factories.ErrorFactory(category=category)
        made.append(factories.JobFactory(job_type=job_type, status="FAILED", error=error))
    return made


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/jobs/", {"job_id": "1.0"}, "job_id"),
        ("/jobs/", {"job_id": "１２"}, "job_id"),
        ("/jobs/", {"job_type_id": " 12"}, "job_type_id"),
        ("/jobs/", {"job_type_id": "+3"}, "job_type_id"),
        ("/job-executions/", {"node_id": "2e1"}, "node_id"),
        ("/jobs/", {"page": " 2"}, "page"),
        ("/jobs/", {"page_size": "10 "}, "page_size"),
    ],
)
def test_integer_parameters_take_only_ascii_digits(api_client, jobs, path, params, named):
    response = api_client.get(path, params)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{named}: ")


def test_ids_written_as_digits_still_filter(api_client, jobs):
    body = api_client.get("/jobs/", {"job_id": str(jobs[1].pk)}).json()
    assert [row["id"] for row in body["results"]] == [jobs[1].pk]


@pytest.mark.parametrize("status", [" CANCELED", "CANCELED ", "canceled"])
def test_cancel_needs_exactly_canceled(api_client, operator_token, jobs, status):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {operator_token}")
    response = api_client.patch(f"/jobs/{jobs[0].pk}/", {"status": status}, format="json")
    assert response.status_code == 400
    assert Job.objects.get(pk=jobs[0].pk).status == "FAILED"


@pytest.mark.parametrize(
    ("dotted", "underscored"),
    [
        ("error.category", "error__category"),
        ("-job_type.title", "-job_type__title"),
        ("error.title", "error__title"),  # the Scale UI's Error column
    ],
)
def test_dotted_order_paths_are_the_underscored_ones(api_client, jobs, dotted, underscored):
    def ids(order):
        response = api_client.get("/jobs/", {"order": order})
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(dotted) == ids(underscored)
    refused = api_client.get("/jobs/", {"order": "error.nothing"})
    assert refused.status_code == 400


def test_dotted_order_sorts_as_the_ui_expects(api_client, jobs):
    rows = api_client.get("/jobs/", {"order": "-job_type.title"}).json()["results"]
    assert [row["job_type"]["title"] for row in rows] == ["c-type", "b-type", "a-type"]


@pytest.mark.parametrize(
    "path", ["/jobs/", "/jobs/updates/", "/jobs/executions/", "/job-types/", "/job-executions/"]
)
def test_every_endpoint_answers_the_same_under_v3(api_client, jobs, path):
    root = api_client.get(path, {"page_size": 1})
    versioned = api_client.get(f"/v3{path}", {"page_size": 1})
    assert versioned.status_code == root.status_code == 200
    assert versioned.json()["results"] == root.json()["results"]
    if root.json()["next"]:
        assert versioned.json()["next"].startswith(f"http://testserver/v3{path}?")
    detail = api_client.get(f"/v3/jobs/{jobs[0].pk}/")
    assert detail.json() == api_client.get(f"/jobs/{jobs[0].pk}/").json()


def test_results_are_an_object_for_every_job(api_client, jobs):
    for job in jobs:
        assert api_client.get(f"/jobs/{job.pk}/").json()["results"] == {}
    assert Job.objects.filter(results__isnull=True).count() == 0


@pytest.mark.parametrize("path", ["/jobs/", "/job-types/", "/job-executions/"])
def test_more_query_values_than_django_takes_are_a_400(api_client, path):
    query = "&".join(["name=a"] * 600 + ["category=b"] * 600)
    response = api_client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.content.decode() == "too many query parameters: at most 1000 values in all.\n"
