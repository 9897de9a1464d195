"""Bugs that schema-driven fuzzing (``make fuzz``) and the edge cases it prompted found,
pinned so they stay fixed: each was a 500."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

LISTS = ["/jobs/", "/jobs/updates/", "/jobs/executions/"]
TEXT = "text/plain; charset=utf-8"


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        # A % in a bad value broke django-filter's formatting of the message: a 500.
        ({"started": "100%"}, "started: '100%' is neither an ISO-8601 datetime "
                              "(2015-01-01T00:00:00Z) nor an ISO-8601 duration (PT3H0M0S).\n"),
        ({"ended": "%s%d"}, "ended: '%s%d' is neither an ISO-8601 datetime "
                            "(2015-01-01T00:00:00Z) nor an ISO-8601 duration (PT3H0M0S).\n"),
        ({"ended": "2015-01-01T00:00:00%"}, "ended: '2015-01-01T00:00:00%' is neither an "
                                            "ISO-8601 datetime (2015-01-01T00:00:00Z) nor an "
                                            "ISO-8601 duration (PT3H0M0S).\n"),
        ({"started": "P%(x)s"}, "started: 'P%(x)s' is not a usable ISO-8601 duration "
                                "(PT3H0M0S).\n"),
        ({"job_type_id": "5%"}, "job_type_id: '5%' is not valid: must be a whole number "
                                "from 1 to 9223372036854775807.\n"),
        ({"status": "%(status)s"}, "status: '%(status)s' is not valid: must be one of "
                                   "PENDING, BLOCKED, QUEUED, RUNNING, FAILED, COMPLETED, "
                                   "CANCELED.\n"),
        ({"job_type_name": "%" * 251}, "job_type_name: '" + "%" * 251 + "' is not valid: "
                                       "Ensure this value has at most 250 characters (it has "
                                       "251).\n"),
    ],
)
def test_bad_values_with_percent_signs_are_400_not_500(api_client, url, params, message):
    response = api_client.get(url, params)
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content.decode() == message


@pytest.mark.parametrize("url", LISTS)
def test_bad_order_with_percent_sign_is_400_naming_it(api_client, url):
    response = api_client.get(url, {"order": "%s"})
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content.decode().startswith("order: '%s' is not a field to order by; ")


def test_json_error_body_keeps_percent_signs(api_client):
    response = api_client.get("/jobs/", {"started": "50%"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "started: '50%' is neither an ISO-8601 datetime (2015-01-01T00:00:00Z) "
        "nor an ISO-8601 duration (PT3H0M0S)."
    }


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        # Python refused the offset only when asked for it, outside the parsing: a 500.
        ({"started": "2015-01-01T00:00:00+24:00"},
         "started: '2015-01-01T00:00:00+24:00' has an impossible timezone offset.\n"),
    ],
)
def test_impossible_time_window_datetimes_are_400(api_client, url, params, message):
    response = api_client.get(url, params)
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content.decode() == message


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("params", "count"),
    [
        # In UTC, the last hour of year 0, which no Python datetime holds: before every job.
        ({"ended": "0001-01-01T00:00:00+01:00"}, 0),
        ({"started": "0001-01-01T00:00:00+01:00"}, 1),
        # Longer ago than the calendar reaches: since the earliest moment.
        ({"started": "P99999999Y"}, 1),
        ({"started": "PT999999999999H"}, 1),
        ({"started": "P999999999999D", "ended": "9999-12-31T23:00:00-05:00"}, 1),
    ],
)
def test_moments_beyond_the_calendar_are_its_ends(api_client, url, params, count):
    factories.JobFactory()
    response = api_client.get(url, params)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == count


@pytest.mark.parametrize("url", LISTS)
def test_time_window_offsets_beyond_postgresql_range_are_read_in_utc(api_client, url):
    job = factories.JobFactory()
    # Valid ISO-8601 offsets beyond PostgreSQL's ±15:59 made a DataError, a 500.
    response = api_client.get(url, {"started": "2015-01-01T00:00:00+23:30",
                                    "ended": "9000-01-01T00:00:00-23:59"})
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [job.pk]


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000],
)
def test_cancel_body_nested_too_deeply_is_400_not_500(api_client, operator_token, body):
    job = factories.JobFactory(status="RUNNING")
    # Python's json recursed until RecursionError, which DRF did not catch: a 500.
    response = api_client.generic(
        "PATCH", f"/jobs/{job.pk}/", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {operator_token}",
    )
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content == b"JSON parse error - the body is nested too deeply.\n"


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        ("*/*", TEXT, b"unexpected fields: \\ud800; only status may be given.\n"),
        ("application/json", "application/json",
         b'{"detail": "unexpected fields: \\\\ud800; only status may be given."}'),
    ],
)
def test_cancel_with_a_lone_surrogate_field_name_is_400_not_500(
    api_client, operator_token, accept, content_type, body
):
    job = factories.JobFactory(status="RUNNING")
    # The message named the field, and "\ud800" cannot be encoded in UTF-8: a 500.
    response = api_client.generic(
        "PATCH", f"/jobs/{job.pk}/", '{"\\ud800": 1}', content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {operator_token}", HTTP_ACCEPT=accept,
    )
    assert (response.status_code, response["Content-Type"]) == (400, content_type)
    assert response.content == body


@pytest.mark.parametrize("url", ["/jobs/", "/errors/", "/job-types/system-failures/",
                                 "/job-executions/", "/workspaces/", "/load/",
                                 "/metrics/job-types/plot-data/"])
def test_a_page_whose_offset_passes_bigint_is_404(api_client, url):
    # (page - 1) * page_size beyond PostgreSQL's bigint made a DataError: a 500.
    factories.JobFactory()
    response = api_client.get(url, {"page": "999999999999999999", "page_size": "376"})
    assert (response.status_code, response["Content-Type"]) == (404, TEXT)
    assert response.content.decode().startswith("page: 999999999999999999 is past the last page")
