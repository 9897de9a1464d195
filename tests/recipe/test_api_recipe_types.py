"""``/recipe-types/`` and ``/recipe-types/{id}/``, as recipe_type.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recipe.models import RecipeType
from tests import factories
from tests.api_checks import statement_count, without_tokens

pytestmark = pytest.mark.django_db

ROW_KEYS = [
    "id", "name", "version", "title", "description", "is_active", "definition",
    "revision_num", "created", "last_modified", "archived", "trigger_rule",
]
DETAIL_KEYS = [*ROW_KEYS, "job_types"]
JOB_TYPE_KEYS = [
    "id", "name", "version", "title", "description", "category", "author_name",
    "author_url", "is_system", "is_long_running", "is_active", "is_operational",
    "is_paused", "icon_code", "interface",
]


def definition(*job_types):
    return {
        "version": "1.0",
        "input_data": [{"name": "input_file", "type": "file", "media_types": ["image/png"]}],
        "jobs": [
            {"name": f"step-{n}", "job_type": {"name": name, "version": version},
             "recipe_inputs": [{"job_input": "input_file", "recipe_input": "input_file"}]}
            for n, (name, version) in enumerate(job_types)
        ],
    }


@pytest.fixture
def recipe_types(db):
    now = timezone.now()
    made = [
        factories.RecipeTypeFactory(name="ingest-and-footprint", version="2.0"),
        factories.RecipeTypeFactory(name="ingest-and-footprint", version="1.0",
                                    is_active=False, archived=now, revision_num=3),
        factories.RecipeTypeFactory(name="convert", version="1.0",
                                    trigger_rule=factories.TriggerRuleFactory()),
    ]
    for hours, recipe_type in zip((30, 20, 10), made, strict=True):
        RecipeType.objects.filter(pk=recipe_type.pk).update(
            last_modified=now - timedelta(hours=hours)
        )
    return made


def _keys(client, **params):
    response = client.get("/recipe-types/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [(row["name"], row["version"]) for row in response.json()["results"]]


def test_rows_have_the_documented_keys_in_order(api_client, recipe_types):
    body = api_client.get("/recipe-types/").json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    rows = body["results"]
    assert all(list(row) == ROW_KEYS for row in rows)
    assert rows[0]["trigger_rule"] is None
    assert rows[1]["is_active"] is False and rows[1]["archived"].endswith("Z")
    assert rows[1]["revision_num"] == 3
    assert rows[2]["trigger_rule"] == {"id": recipe_types[2].trigger_rule_id}
    assert rows[2]["definition"] == recipe_types[2].definition


def test_default_order_is_last_modified(api_client, recipe_types):
    assert _keys(api_client) == [
        ("ingest-and-footprint", "2.0"), ("ingest-and-footprint", "1.0"), ("convert", "1.0")
    ]


def test_order_takes_repeated_fields_and_descending(api_client, recipe_types):
    assert _keys(api_client, order=["name", "version"]) == [
        ("convert", "1.0"), ("ingest-and-footprint", "1.0"), ("ingest-and-footprint", "2.0")
    ]
    assert _keys(api_client, order="-revision_num")[0] == ("ingest-and-footprint", "1.0")


def test_time_window_is_on_last_modified(api_client, recipe_types):
    assert len(_keys(api_client, started="PT25H")) == 2
    assert _keys(api_client, started="PT25H", ended="PT15H") == [("ingest-and-footprint", "1.0")]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"order": "definition"}, "order"),
        ({"started": "yesterday"}, "started"),
        ({"started": "2015-01-02T00:00:00Z", "ended": "2015-01-01T00:00:00Z"}, "started"),
        ({"page": "1.0"}, "page"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, recipe_types, params, named):
    response = api_client.get("/recipe-types/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging(api_client, recipe_types):
    body = api_client.get("/recipe-types/", {"page_size": 2}).json()
    assert without_tokens(body["next"]) == "http://testserver/recipe-types/?page=2&page_size=2"
    assert api_client.get("/recipe-types/", {"page": 3, "page_size": 2}).status_code == 404


def test_details_have_the_full_rule_and_the_job_types_of_the_definition(
    api_client, recipe_types
):
    kml = factories.JobTypeFactory(name="kml-footprint", version="1.2.3")
    factories.JobTypeFactory(name="kml-footprint", version="9.9")
    ingest = factories.JobTypeFactory(name="scale-ingest", version="1.0")
    recipe_type = recipe_types[2]
    recipe_type.definition = definition(
        ("scale-ingest", "1.0"), ("kml-footprint", "1.2.3"), ("missing", "1.0"),
        ("scale-ingest", "1.0"),
    )
    recipe_type.save()

    response = api_client.get(f"/recipe-types/{recipe_type.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == DETAIL_KEYS
    rule = recipe_type.trigger_rule
    assert body["trigger_rule"]["id"] == rule.pk
    assert list(body["trigger_rule"]) == [
        "id", "type", "name", "is_active", "configuration", "created", "archived",
        "last_modified",
    ]
    assert [job_type["id"] for job_type in body["job_types"]] == [kml.pk, ingest.pk]
    assert list(body["job_types"][0]) == JOB_TYPE_KEYS
    assert body["job_types"][0]["interface"] == kml.interface
    other = api_client.get(f"/recipe-types/{recipe_types[0].pk}/").json()
    assert other["trigger_rule"] is None and other["job_types"] == []


@pytest.mark.parametrize("path", ["/recipe-types/x/", "/recipe-types/0/", "/recipe-types/99999/"])
def test_unknown_recipe_types_are_404(api_client, recipe_types, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "recipe type" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    factories.RecipeTypeFactory()
    one = statement_count(api_client, "/recipe-types/")
    job_types = factories.JobTypeFactory.create_batch(5)
    for _ in range(20):
        factories.RecipeTypeFactory(
            trigger_rule=factories.TriggerRuleFactory(),
            definition=definition(*((t.name, t.version) for t in job_types)),
        )
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == statement_count(api_client, "/recipe-types/") == 1
    # One statement: the recipe type's JSON with its rule and job types.
    assert statement_count(api_client, f"/recipe-types/{RecipeType.objects.last().pk}/") == 1
