"""``/workspaces/`` and ``/workspaces/{id}/``, as workspace.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from storage.models import Workspace
from tests import factories
from tests.api_checks import statement_count, without_tokens

pytestmark = pytest.mark.django_db

KEYS = ["id", "name", "title", "description", "base_url", "is_active", "used_size",
        "total_size", "created", "archived", "last_modified"]


@pytest.fixture
def workspaces(db):
    now = timezone.now()
    made = [
        factories.WorkspaceFactory(name="raw", title="Raw", used_size=10, total_size=100,
                                   json_config={"version": "1.0",
                                                "broker": {"type": "host", "host_path": "/x"}}),
        factories.WorkspaceFactory(name="products", base_url=None, is_active=False,
                                   archived=now),
        factories.WorkspaceFactory(name="archive"),
    ]
    for hours, workspace in zip((30, 20, 10), made, strict=True):
        Workspace.objects.filter(pk=workspace.pk).update(
            last_modified=now - timedelta(hours=hours)
        )
    return made


def _names(client, **params):
    response = client.get("/workspaces/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [row["name"] for row in response.json()["results"]]


def test_rows_have_the_documented_keys_in_order(api_client, workspaces):
    body = api_client.get("/workspaces/").json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    raw, products, _ = body["results"]
    assert list(raw) == KEYS
    assert (raw["name"], raw["title"], raw["used_size"], raw["total_size"]) == (
        "raw", "Raw", 10, 100
    )
    assert (products["base_url"], products["is_active"], products["used_size"]) == (
        None, False, None
    )
    assert products["archived"].endswith("Z") and raw["archived"] is None


def test_default_order_is_last_modified(api_client, workspaces):
    assert _names(api_client) == ["raw", "products", "archive"]


def test_order_and_name_filters(api_client, workspaces):
    assert _names(api_client, order="name") == ["archive", "products", "raw"]
    assert _names(api_client, order=["-is_active", "-name"]) == ["raw", "archive", "products"]
    assert _names(api_client, name=["raw", "archive"]) == ["raw", "archive"]
    assert _names(api_client, name="none") == []


def test_time_window_is_on_last_modified(api_client, workspaces):
    assert _names(api_client, started="PT25H") == ["products", "archive"]
    assert _names(api_client, started="PT25H", ended="PT15H") == ["products"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"order": "json_config"}, "order"),
        ({"name": "x" * 51}, "name"),
        ({"started": "yesterday"}, "started"),
        ({"ended": "2015-01-01T00:00:00"}, "ended"),
        ({"started": "2015-01-02T00:00:00Z", "ended": "2015-01-01T00:00:00Z"}, "started"),
        ({"page": "1.0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, workspaces, params, named):
    response = api_client.get("/workspaces/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_other_parameters_and_the_prefix(api_client, workspaces):
    body = api_client.get("/v3/workspaces/", {"page_size": 1, "page": 2, "order": "name"}).json()
    assert body["results"][0]["name"] == "products"
    assert without_tokens(body["previous"]) == "http://testserver/v3/workspaces/?order=name&page_size=1"
    assert without_tokens(body["next"]) == "http://testserver/v3/workspaces/?order=name&page=3&page_size=1"
    assert api_client.get("/workspaces/", {"page": 9}).status_code == 404


def test_details_are_the_row_and_its_configuration(api_client, workspaces):
    body = api_client.get(f"/workspaces/{workspaces[0].pk}/").json()
    assert list(body) == [*KEYS, "json_config"]
    assert body["json_config"] == {"version": "1.0", "broker": {"type": "host", "host_path": "/x"}}
    row = api_client.get("/workspaces/", {"name": "raw"}).json()["results"][0]
    assert {k: v for k, v in body.items() if k != "json_config"} == row
    assert api_client.get(f"/v3/workspaces/{workspaces[0].pk}/").json() == body
    assert api_client.get(f"/workspaces/{workspaces[2].pk}/").json()["json_config"] == {}


@pytest.mark.parametrize("path", ["/workspaces/abc/", "/workspaces/0/", "/workspaces/999999/"])
def test_unknown_workspaces_are_404(api_client, workspaces, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "workspace" in response.content.decode()


def test_writes_are_405(api_client, workspaces):
    assert api_client.post("/workspaces/", {}, format="json").status_code == 405
    response = api_client.patch(f"/workspaces/{workspaces[0].pk}/", {}, format="json")
    assert response.status_code == 405


def test_postgresql_renders_what_plain_drf_renders(api_client, workspaces):
    from storage.serializers import WorkspaceDetailsSerializer

    for workspace in Workspace.objects.all():
        body = api_client.get(f"/workspaces/{workspace.pk}/").json()
        assert body == WorkspaceDetailsSerializer(workspace).data


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    factories.WorkspaceFactory()
    one = statement_count(api_client, "/workspaces/")
    factories.WorkspaceFactory.create_batch(20)
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == statement_count(api_client, "/workspaces/") == 1
    # One statement: the workspace's JSON.
    assert statement_count(api_client, f"/workspaces/{Workspace.objects.first().pk}/") == 1
