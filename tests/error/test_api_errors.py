"""``/errors/`` and ``/errors/{id}/``, as error.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from error.models import Error
from tests import factories
from tests.api_checks import statement_count, without_tokens

pytestmark = pytest.mark.django_db

KEYS = ["id", "name", "title", "description", "category", "is_builtin", "created",
        "last_modified"]


@pytest.fixture
def errors(db):
    now = timezone.now()
    made = [
        factories.ErrorFactory(name="unknown", category="SYSTEM", is_builtin=True),
        factories.ErrorFactory(name="bad-data", category="DATA"),
        factories.ErrorFactory(name="algorithm-crash", category="ALGORITHM"),
    ]
    for hours, error in zip((30, 20, 10), made, strict=True):
        Error.objects.filter(pk=error.pk).update(last_modified=now - timedelta(hours=hours))
    return made


def _names(client, **params):
    response = client.get("/errors/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [row["name"] for row in response.json()["results"]]


def test_rows_have_the_documented_keys_in_order(api_client, errors):
    body = api_client.get("/errors/").json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert list(row) == KEYS
    assert (row["name"], row["category"], row["is_builtin"]) == ("unknown", "SYSTEM", True)
    assert row["created"].endswith("Z") and row["last_modified"].endswith("Z")


def test_default_order_is_last_modified(api_client, errors):
    assert _names(api_client) == ["unknown", "bad-data", "algorithm-crash"]


def test_order_takes_repeated_fields_and_descending(api_client, errors):
    assert _names(api_client, order="name") == ["algorithm-crash", "bad-data", "unknown"]
    assert _names(api_client, order=["-is_builtin", "-name"]) == [
        "unknown", "bad-data", "algorithm-crash"
    ]
    assert _names(api_client, order="-category")[0] == "unknown"


def test_time_window_is_on_last_modified(api_client, errors):
    assert _names(api_client, started="PT25H") == ["bad-data", "algorithm-crash"]
    assert _names(api_client, ended="PT15H") == ["unknown", "bad-data"]
    assert _names(api_client, started="PT25H", ended="PT15H") == ["bad-data"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"order": "description"}, "order"),
        ({"started": "yesterday"}, "started"),
        ({"ended": "2015-01-01T00:00:00"}, "ended"),
        ({"started": "2015-01-02T00:00:00Z", "ended": "2015-01-01T00:00:00Z"}, "started"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, errors, params, named):
    response = api_client.get("/errors/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_other_parameters_and_the_prefix(api_client, errors):
    body = api_client.get("/v3/errors/", {"page_size": 1, "page": 2, "order": "name"}).json()
    assert body["count"] == 3
    assert body["results"][0]["name"] == "bad-data"
    assert without_tokens(body["previous"]) == "http://testserver/v3/errors/?order=name&page_size=1"
    assert without_tokens(body["next"]) == "http://testserver/v3/errors/?order=name&page=3&page_size=1"
    assert api_client.get("/errors/", {"page": 9}).status_code == 404


def test_details_are_the_row(api_client, errors):
    response = api_client.get(f"/errors/{errors[1].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == KEYS
    assert body == api_client.get("/errors/", {"order": "name"}).json()["results"][1]
    assert api_client.get(f"/v3/errors/{errors[1].pk}/").json() == body


@pytest.mark.parametrize("path", ["/errors/abc/", "/errors/0/", "/errors/999999/"])
def test_unknown_errors_are_404(api_client, errors, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "error" in response.content.decode()


def test_writes_are_405(api_client, errors):
    assert api_client.post("/errors/", {}, format="json").status_code == 405
    assert api_client.patch(f"/errors/{errors[0].pk}/", {}, format="json").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    factories.ErrorFactory()
    one = statement_count(api_client, "/errors/")
    factories.ErrorFactory.create_batch(20)
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == statement_count(api_client, "/errors/") == 1
    # One statement: the error's JSON.
    assert statement_count(api_client, f"/errors/{Error.objects.first().pk}/") == 1
