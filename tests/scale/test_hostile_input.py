"""Credentials that PostgreSQL could not even compare are refused, never a 500."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

NUL_TOKEN = "Token ab\x00cd"
NUL_SESSION = "sessionid=abcdefgh\x00ijkl"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_token_with_a_nul_byte_is_401(api_client, method):
    response = getattr(api_client, method)("/jobs/1/", HTTP_AUTHORIZATION=NUL_TOKEN)
    assert (response.status_code, response.content) == (401, b"Invalid token.\n")


def test_a_malformed_token_is_401_without_a_lookup(api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/jobs/1/", HTTP_AUTHORIZATION="Token " + "Z" * 40)
    assert response.status_code == 401
    # Only django-axes' count of failed authentications: the token table is not read.
    assert [q["sql"] for q in queries if "authtoken_token" in q["sql"]] == []


@pytest.mark.parametrize("path", ["/jobs/", "/admin/"])
def test_a_session_cookie_with_a_nul_byte_is_no_session(api_client, path):
    response = api_client.get(path, HTTP_COOKIE=NUL_SESSION)
    assert response.status_code == (200 if path == "/jobs/" else 302)


def test_a_cancel_with_a_nul_session_is_401(api_client):
    response = api_client.patch(
        "/jobs/1/", data=b'{"status": "CANCELED"}', content_type="application/json",
        HTTP_COOKIE=NUL_SESSION + "; csrftoken=a\x00b",
    )
    assert (response.status_code, response.content) == (
        401, b"Authentication credentials were not provided.\n",
    )


# The probes of issue 11: each was accepted, echoed or a 500; each is now a clear 4xx.

LISTS = ["/jobs/", "/jobs/updates/", "/jobs/executions/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("value", ["PT", "P", "-PT"])
def test_a_duration_without_a_component_is_400(api_client, url, value):
    response = api_client.get(url, {"started": value})
    assert (response.status_code, response.content.decode()) == (
        400, f"started: {value!r} is not a usable ISO-8601 duration: it needs at least one "
             "component (PT3H0M0S).\n",
    )


INTEGER_PARAMETERS = [
    (url, name) for url in LISTS for name in ("job_type_id", "page", "page_size")
] + [("/jobs/", "job_id")]


@pytest.mark.parametrize(("url", "name"), INTEGER_PARAMETERS)
@pytest.mark.parametrize("digits", ["１２", "١٢", "१२", "𝟏𝟐"])
def test_integer_parameters_refuse_digits_other_than_ascii(api_client, url, name, digits):
    response = api_client.get(url, {name: digits})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{name}: ")


@pytest.mark.parametrize(
    "header", ["Token  " + "a" * 40, "Token\t" + "a" * 40, "Token " + "a" * 40 + " x"]
)
def test_a_token_header_with_other_than_one_space_is_401(api_client, operator_token, header):
    header = header.replace("a" * 40, operator_token)
    response = api_client.patch("/jobs/1/", data=b'{"status": "CANCELED"}',
                                content_type="application/json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.content.decode() in (
        "Invalid token header: write it as 'Token <key>', with one space.\n",
        "Invalid token header. Token string should not contain spaces.\n",
    )


def test_a_body_over_the_upload_limit_from_an_authorised_user_is_413(
    api_client, operator_token, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.patch(
        "/jobs/1/", data=b'{"status": "CANCELED", "x": "' + b"y" * 2000 + b'"}',
        content_type="application/json", HTTP_AUTHORIZATION=f"Token {operator_token}",
        HTTP_ACCEPT="application/json",
    )
    assert (response.status_code, response.json()) == (
        413, {"detail": "The request body is larger than 1000 bytes."})


@pytest.mark.parametrize(
    "path",
    ["/jobs/", "/jobs/1/", "/jobs/updates/", "/jobs/executions/", "/v3/jobs/", "/v3/jobs/1/",
     "/api/schema/", "/api/docs/", "/admin/", "/admin/login/", "/admin/job/job/", "/health/",
     "/static/admin/css/base.css", "/no/such/url/"],
)
def test_options_never_answers_5xx(api_client, path):
    response = api_client.options(path)
    assert response.status_code < 500, (path, response.status_code)
    assert response.status_code in (200, 302, 404, 405)


def test_options_on_the_documentation_lists_its_methods(api_client):
    response = api_client.options("/api/docs/")
    assert response.status_code == 200
    assert set(response["Allow"].split(", ")) >= {"GET", "OPTIONS"}


def test_a_host_with_a_port_the_service_does_not_listen_on_is_400(api_client, db):
    response = api_client.get("/jobs/", HTTP_HOST="localhost:9999")
    assert (response.status_code, response.content.decode()) == (
        400, "Host: port 9999 is not this service's; links are built on SCALE_PUBLIC_HOST "
             "when it is set.\n",
    )


def test_links_are_built_on_the_public_host_whatever_host_the_client_sends(client, db):
    from django.test import override_settings

    for _ in range(2):
        factories.JobFactory()
    with override_settings(SCALE_PUBLIC_HOST="jobs.example.com", ALLOWED_HOSTS=[
            "jobs.example.com", "localhost"]):
        response = client.get("/jobs/?page_size=1", HTTP_HOST="localhost:80")
    assert response.status_code == 200
    link = urlsplit(response.json()["next"])
    assert (link.scheme, link.netloc, link.path) == ("http", "jobs.example.com", "/jobs/")
    query = parse_qs(link.query)
    assert (query["page"], query["page_size"]) == (["2"], ["1"])


def test_a_locked_out_address_is_refused_token_authentication(api_client, operator_token,
                                                              settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = api_client.get("/jobs/1/", HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert response.status_code == 401
    response = api_client.get("/jobs/1/", HTTP_AUTHORIZATION=f"Token {operator_token}")
    assert response.status_code == 429
    assert response.content == (
        b"Too many failed authentications from this address. Expected available in 900 seconds.\n"
    )
    assert int(response["Retry-After"]) == 15 * 60
    # Another address is not affected.
    response = api_client.get("/jobs/?page_size=1", REMOTE_ADDR="10.9.8.7",
                              HTTP_AUTHORIZATION=f"Token {operator_token}")
    assert response.status_code == 200


def test_failed_admin_logins_lock_out_the_user_name_from_any_address(client, operator,
                                                                     settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        response = client.post("/admin/login/", {"username": "operator", "password": "no"},
                               REMOTE_ADDR=f"10.0.0.{n + 1}")
        # The form again, with its error; the failure that reaches the limit is refused.
        assert response.status_code == (429 if n == 2 else 200)
    response = client.post("/admin/login/",
                           {"username": "operator", "password": "operator-pass-123"},
                           REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429


def test_anonymous_reads_are_not_throttled_unless_configured(api_client, settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == []
    for _ in range(30):
        assert api_client.get("/jobs/?page_size=1").status_code == 200
