"""The browsable API (a person with a browser) renders the same endpoints as HTML."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/jobs/", "/jobs/updates/", "/jobs/executions/", "details"])
def test_browsable_api_renders_for_a_browser(api_client, operator, rich_job, path):
    api_client.force_login(operator)
    url = f"/jobs/{rich_job.id}/" if path == "details" else path
    response = api_client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"kml-footprint" in response.content


def test_errors_stay_plain_text_for_a_browser(api_client):
    response = api_client.get("/jobs/", {"page_size": 0}, HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
