"""Bad input gets a one-line 4xx naming the parameter, never a 500 or an HTML page."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

LISTS = ["/jobs/", "/jobs/updates/", "/jobs/executions/"]
ID = "must be a whole number from 1 to 9223372036854775807."
TEXT = "text/plain; charset=utf-8"


def _error(client, url, params=None, **extra):
    response = client.get(url, params or {}, **extra)
    return response.status_code, response["Content-Type"], response.content.decode()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "page: must be a whole number of at least 1, not 0.\n"),
        ({"page": "abc"}, "page: must be a whole number of at least 1, not 'abc'.\n"),
        ({"page": "-1"}, "page: must be a whole number of at least 1, not '-1'.\n"),
        ({"page_size": "0"}, "page_size: must be a whole number from 1 to 1000, not 0.\n"),
        ({"page_size": "1001"}, "page_size: must be a whole number from 1 to 1000, not 1001.\n"),
        ({"page_size": "1.5"}, "page_size: must be a whole number from 1 to 1000, not '1.5'.\n"),
        ({"page_size": ""}, "page_size: must be a whole number from 1 to 1000, not ''.\n"),
        ({"status": "DONE"}, "status: 'DONE' is not valid: must be one of PENDING, BLOCKED, "
                             "QUEUED, RUNNING, FAILED, COMPLETED, CANCELED.\n"),
        ({"status": "queued"}, "status: 'queued' is not valid: must be one of PENDING, BLOCKED, "
                               "QUEUED, RUNNING, FAILED, COMPLETED, CANCELED.\n"),
        ({"error_category": "USER"}, "error_category: 'USER' is not valid: must be one of "
                                     "SYSTEM, ALGORITHM, DATA.\n"),
        ({"job_type_id": "x"}, f"job_type_id: 'x' is not valid: {ID}\n"),
        ({"job_type_id": "0"}, f"job_type_id: '0' is not valid: {ID}\n"),
        ({"job_type_id": "99999999999999999999"},
         f"job_type_id: '99999999999999999999' is not valid: {ID}\n"),
        ({"job_type_name": "a\x00b"},
         "job_type_name: 'a\\x00b' is not valid: Null characters are not allowed.\n"),
        ({"started": "yesterday"}, "started: 'yesterday' is neither an ISO-8601 datetime "
                                   "(2015-01-01T00:00:00Z) nor an ISO-8601 duration "
                                   "(PT3H0M0S).\n"),
        ({"ended": "2015-01-01T00:00:00"}, "ended: '2015-01-01T00:00:00' has no timezone; add "
                                           "Z or an offset such as +00:00.\n"),
        ({"started": "P"}, "started: 'P' is not a usable ISO-8601 duration: it needs at "
                           "least one component (PT3H0M0S).\n"),
        # isodate reads these; the schema's pattern does not take them, nor does the field.
        ({"started": "-PT0S"}, "started: '-PT0S' is not in a form this service takes: an "
                               "ISO-8601 datetime with a timezone such as 2015-01-01T00:00:00Z "
                               "or 2015-01-01T00:00:00.000+05:00, or an ISO-8601 duration such "
                               "as PT3H0M0S or P1DT12H.\n"),
        ({"ended": "20150101T000000Z"}, "ended: '20150101T000000Z' is not in a form this "
                                        "service takes: an ISO-8601 datetime with a timezone "
                                        "such as 2015-01-01T00:00:00Z or "
                                        "2015-01-01T00:00:00.000+05:00, or an ISO-8601 duration "
                                        "such as PT3H0M0S or P1DT12H.\n"),
        ({"started": "-PT1H"}, "started: '-PT1H' is a negative duration.\n"),
        ({"started": "2016-01-01T00:00:00Z", "ended": "2015-01-01T00:00:00Z"},
         "started: must not be after ended.\n"),
        ({"order": "secret_field"}, None),
        ({"order": "job_type__name__foo"}, None),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(api_client, url, params, message):
    status, content_type, body = _error(api_client, url, params)
    assert (status, content_type) == (400, TEXT)
    if message is None:
        assert body.startswith(f"order: {params['order']!r} is not a field to order by; use one")
    else:
        assert body == message
    assert body.count("\n") == 1


def test_job_id_is_validated_on_the_job_list(api_client):
    status, content_type, body = _error(api_client, "/jobs/", {"job_id": ["1", "two"]})
    assert (status, content_type, body) == (
        400, TEXT, f"job_id: 'two' is not valid: {ID}\n",
    )


def test_several_bad_parameters_are_all_named(api_client):
    status, _, body = _error(api_client, "/jobs/", {"status": "X", "job_type_id": "y"})
    assert status == 400
    assert "status: 'X'" in body and "job_type_id: 'y'" in body
    assert body.count("\n") == 1


def test_errors_are_json_when_the_client_asks_for_json(api_client):
    response = api_client.get("/jobs/", {"page_size": "0"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "page_size: must be a whole number from 1 to 1000, not 0."
    }


@pytest.mark.parametrize("path", ["/jobs/abc/", "/jobs/0/", "/jobs/-3/", "/jobs/1.5/",
                                  "/jobs/99999999999999999999/", "/jobs/%00/",
                                  "/jobs/" + "9" * 5000 + "/"], ids=lambda path: path[:30])
def test_non_ids_in_the_job_url_are_404_in_plain_text(api_client, path):
    status, content_type, body = _error(api_client, path)
    assert (status, content_type) == (404, TEXT)
    assert "a job id is a positive whole number" in body
    assert body.count("\n") == 1


def test_unknown_job_is_404(api_client):
    status, content_type, body = _error(api_client, "/jobs/424242/")
    assert (status, content_type, body) == (404, TEXT, "job 424242 was not found.\n")


@pytest.mark.parametrize("path", ["/jobs/1/extra/", "/nothing-here/", "/jobs/updates/x/"])
def test_unknown_urls_are_404_in_plain_text(api_client, path):
    status, content_type, body = _error(api_client, path)
    assert (status, content_type) == (404, TEXT)
    assert body == f"{path} was not found.\n"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize("authenticated", [False, True])
def test_other_methods_are_405(api_client, operator_token, method, authenticated):
    job = factories.JobFactory()
    if authenticated:
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {operator_token}")
    response = getattr(api_client, method)(f"/jobs/{job.id}/")
    assert response.status_code == 405
    response = getattr(api_client, method)("/jobs/")
    assert response.status_code == 405
    assert response["Content-Type"] == TEXT
    assert response.content.decode().count("\n") == 1


def test_list_filters_do_not_apply_to_details(api_client):
    job = factories.JobFactory(status="QUEUED")
    response = api_client.get(f"/jobs/{job.id}/", {"status": "FAILED", "order": "nope"})
    assert response.status_code == 200
    assert response.json()["id"] == job.id
