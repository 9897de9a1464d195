"""``/recipes/`` and ``/recipes/{id}/``, as recipe.rst defines them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recipe.models import Recipe
from tests import factories
from tests.api_checks import statement_count, without_tokens

pytestmark = pytest.mark.django_db

ROW_KEYS = ["id", "recipe_type", "recipe_type_rev", "event", "created", "completed",
            "last_modified"]
DETAIL_KEYS = [*ROW_KEYS, "data", "input_files", "jobs"]
JOB_KEYS = [
    "id", "job_type", "job_type_rev", "event", "error", "status", "priority", "num_exes",
    "timeout", "max_tries", "cpus_required", "mem_required", "disk_in_required",
    "disk_out_required", "created", "queued", "started", "ended", "last_status_change",
    "last_modified",
]


@pytest.fixture
def recipes(db):
    now = timezone.now()
    ingest = factories.RecipeTypeFactory(name="ingest", version="1.0")
    convert = factories.RecipeTypeFactory(name="convert", version="2.0")
    made = [
        factories.RecipeFactory(recipe_type=ingest, completed=now),
        factories.RecipeFactory(recipe_type=convert),
        factories.RecipeFactory(recipe_type=ingest),
    ]
    for hours, recipe in zip((30, 20, 10), made, strict=True):
        Recipe.objects.filter(pk=recipe.pk).update(last_modified=now - timedelta(hours=hours))
    return made


def _ids(client, **params):
    response = client.get("/recipes/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return [row["id"] for row in response.json()["results"]]


def test_rows_have_the_documented_keys_in_order(api_client, recipes):
    body = api_client.get("/recipes/").json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert list(row) == ROW_KEYS
    recipe = recipes[0]
    assert row["recipe_type"] == {
        "id": recipe.recipe_type_id, "name": "ingest", "version": "1.0",
        "title": recipe.recipe_type.title, "description": recipe.recipe_type.description,
    }
    # No recipe type revisions are kept: the field is there, and null.
    assert row["recipe_type_rev"] is None
    assert row["event"] == {
        "id": recipe.event_id, "type": recipe.event.type,
        "rule": {"id": recipe.event.rule_id}, "occurred": row["event"]["occurred"],
    }
    assert row["completed"].endswith("Z")
    assert body["results"][1]["completed"] is None


def test_default_order_is_last_modified(api_client, recipes):
    assert _ids(api_client) == [recipe.pk for recipe in recipes]


def test_order_takes_repeated_fields_and_dotted_paths(api_client, recipes):
    assert _ids(api_client, order="-id") == [recipe.pk for recipe in reversed(recipes)]
    assert _ids(api_client, order=["recipe_type.name", "-id"]) == [
        recipes[1].pk, recipes[2].pk, recipes[0].pk
    ]


def test_type_filters_are_repeatable(api_client, recipes):
    ingest, convert = recipes[0].recipe_type, recipes[1].recipe_type
    assert _ids(api_client, type_id=ingest.pk) == [recipes[0].pk, recipes[2].pk]
    assert len(_ids(api_client, type_id=[ingest.pk, convert.pk])) == 3
    assert _ids(api_client, type_name="convert") == [recipes[1].pk]
    assert len(_ids(api_client, type_name=["convert", "ingest"])) == 3
    assert _ids(api_client, type_name="none") == []


def test_time_window_is_on_last_modified(api_client, recipes):
    assert _ids(api_client, started="PT25H", ended="PT15H") == [recipes[1].pk]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"order": "data"}, "order"),
        ({"type_id": "1.0"}, "type_id"),
        ({"type_id": "x"}, "type_id"),
        ({"started": "PT-3H"}, "started"),
        ({"ended": "2015-13-01T00:00:00Z"}, "ended"),
        ({"page": "-1"}, "page"),
        ({"page_size": "x"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, recipes, params, named):
    response = api_client.get("/recipes/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_other_parameters(api_client, recipes):
    ingest = recipes[0].recipe_type
    body = api_client.get("/recipes/", {"type_id": ingest.pk, "page_size": 1}).json()
    assert body["count"] == 2
    assert without_tokens(body["next"]) == f"http://testserver/recipes/?page=2&page_size=1&type_id={ingest.pk}"
    assert api_client.get("/recipes/", {"page": 4, "page_size": 1}).status_code == 404


def test_details_have_type_event_data_input_files_and_jobs(api_client, recipes):
    recipe = recipes[0]
    files = factories.ScaleFileFactory.create_batch(3)
    recipe.data = {
        "version": "1.0",
        "input_data": [
            {"name": "input_file", "file_id": files[2].pk},
            {"name": "more", "file_ids": [files[0].pk, 99999999]},
            {"name": "junk", "file_ids": ["x", 1.5, -1, 10**30]},
            {"name": "threshold", "value": "7"},
        ],
        "workspace_id": 2,
    }
    recipe.save()
    first = factories.JobFactory(status="COMPLETED")
    second = factories.JobFactory(status="BLOCKED", error=factories.ErrorFactory())
    factories.RecipeJobFactory(recipe=recipe, job=first, job_name="ingest")
    factories.RecipeJobFactory(recipe=recipe, job=second, job_name="footprint")

    response = api_client.get(f"/recipes/{recipe.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == DETAIL_KEYS
    assert list(body["recipe_type"]) == [
        "id", "name", "version", "title", "description", "is_active", "definition",
        "revision_num", "created", "last_modified", "archived", "trigger_rule",
    ]
    assert body["recipe_type_rev"] is None
    assert list(body["event"]) == ["id", "type", "rule", "occurred", "description"]
    assert body["event"]["rule"]["id"] == recipe.event.rule_id
    assert body["data"] == recipe.data
    assert [f["id"] for f in body["input_files"]] == [files[0].pk, files[2].pk]
    assert body["input_files"][0]["workspace"]["id"] == files[0].workspace_id
    assert [(j["job_name"], j["job"]["id"]) for j in body["jobs"]] == [
        ("ingest", first.pk), ("footprint", second.pk)
    ]
    job = body["jobs"][1]["job"]
    assert list(job) == JOB_KEYS
    assert list(job["job_type_rev"]) == ["id", "job_type", "revision_num", "interface",
                                         "created"]
    assert job["error"]["id"] == second.error_id


def test_details_of_a_recipe_without_files_or_jobs(api_client, recipes):
    body = api_client.get(f"/recipes/{recipes[1].pk}/").json()
    assert body["input_files"] == [] and body["jobs"] == []


@pytest.mark.parametrize("path", ["/recipes/abc/", "/recipes/0/", "/recipes/999999/"])
def test_unknown_recipes_are_404(api_client, recipes, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "recipe" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    factories.RecipeFactory()
    one = statement_count(api_client, "/recipes/")
    for _ in range(10):
        recipe = factories.RecipeFactory()
        factories.RecipeJobFactory.create_batch(3, recipe=recipe)
    # One statement, its own snapshot: the page's ids, their JSON and the count.
    assert one == statement_count(api_client, "/recipes/") == 1
    # One statement: the recipe's JSON with its files and jobs.
    assert statement_count(api_client, f"/recipes/{Recipe.objects.last().pk}/") == 1
