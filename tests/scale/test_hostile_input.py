"""Credentials that PostgreSQL could not even compare are refused, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

NUL_TOKEN = "Token ab\x00cd"
NUL_SESSION = "sessionid=abcdefgh\x00ijkl"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_token_with_a_nul_byte_is_401(api_client, method):
    response = getattr(api_client, method)("/jobs/1/", HTTP_AUTHORIZATION=NUL_TOKEN)
    assert (response.status_code, response.content) == (401, b"Invalid token.\n")


def test_a_malformed_token_is_401_without_a_lookup(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/jobs/1/", HTTP_AUTHORIZATION="Token " + "Z" * 40)
    assert response.status_code == 401


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
