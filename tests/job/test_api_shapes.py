"""Field-for-field shapes of the job endpoints, as the contract and DESIGN.md fix them."""

import re

import pytest

from job.models import Job
from job_exe.models import JobExecution
from recipe.models import Recipe
from tests import factories
from tests.job.conftest import T0

pytestmark = pytest.mark.django_db

ROW_KEYS = [
    "id", "job_type", "job_type_rev", "event", "error", "status", "priority", "num_exes",
    "timeout", "max_tries", "cpus_required", "mem_required", "disk_in_required",
    "disk_out_required", "created", "queued", "started", "ended", "last_status_change",
    "last_modified",
]
JOB_TYPE_BRIEF_KEYS = [
    "id", "name", "version", "title", "description", "category", "author_name", "author_url",
    "is_system", "is_long_running", "is_active", "is_operational", "is_paused", "icon_code",
]
JOB_TYPE_FULL_KEYS = JOB_TYPE_BRIEF_KEYS + [
    "uses_docker", "docker_privileged", "docker_image", "priority", "timeout", "max_tries",
    "cpus_required", "mem_required", "disk_out_const_required", "disk_out_mult_required",
    "created", "archived", "paused", "last_modified",
]
EXECUTION_KEYS = [
    "id", "status", "command_arguments", "timeout", "pre_started", "pre_completed",
    "pre_exit_code", "job_started", "job_completed", "job_exit_code", "post_started",
    "post_completed", "post_exit_code", "created", "queued", "started", "ended",
    "last_modified", "job", "node", "error",
]
FILE_KEYS = [
    "id", "workspace", "file_name", "media_type", "file_size", "data_type", "is_deleted",
    "uuid", "url", "created", "deleted", "data_started", "data_ended", "geometry",
    "center_point", "meta_data", "last_modified",
]
PRODUCT_KEYS = FILE_KEYS + [
    "is_operational", "is_published", "published", "unpublished", "job_type", "job", "job_exe",
]


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("url", ["/jobs/", "/jobs/updates/", "/jobs/executions/"])
def test_list_rows_carry_brief_nested_objects(api_client, url):
    error = factories.ErrorFactory(name="bad-data", title="Bad Data", category="DATA")
    job = factories.JobFactory(status=Job.Status.FAILED, error=error)
    body = _get(api_client, url)

    assert list(body) == ["count", "next", "previous", "results"]
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    extra = {"/jobs/": [], "/jobs/updates/": ["input_files"],
             "/jobs/executions/": ["latest_job_exe"]}[url]
    assert list(row) == ROW_KEYS + extra
    assert list(row["job_type"]) == JOB_TYPE_BRIEF_KEYS
    assert row["job_type"]["id"] == job.job_type_id
    assert row["job_type_rev"] == {
        "id": job.job_type_rev_id, "job_type": {"id": job.job_type_id},
        "revision_num": job.job_type_rev.revision_num,
    }
    assert row["event"] == {
        "id": job.event_id, "type": "PARSE", "rule": {"id": job.event.rule_id},
        "occurred": job.event.occurred.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{job.event.occurred.microsecond // 1000:03d}Z",
    }
    assert row["error"] == {
        "id": error.id, "name": "bad-data", "title": "Bad Data",
        "description": "Something went wrong", "category": "DATA",
    }


def test_event_without_rule_renders_rule_null(api_client):
    factories.JobFactory(event=factories.TriggerEventFactory(rule=None))
    row = _get(api_client, "/jobs/")["results"][0]
    assert row["event"]["rule"] is None
    assert row["error"] is None


def test_list_row_values_and_formats(api_client, rich_job):
    response = api_client.get("/jobs/")
    row = response.json()["results"][0]
    assert row["status"] == "COMPLETED"
    assert row["num_exes"] == 3
    assert row["created"] == "2015-08-28T17:55:41.005Z"
    assert row["queued"] == "2015-08-28T17:56:41.005Z"
    assert row["started"] == "2015-08-28T17:57:41.005Z"
    assert row["ended"] == "2015-08-28T17:58:41.005Z"
    assert row["last_status_change"] == "2015-08-28T17:58:45.906Z"
    assert row["last_modified"] == "2015-08-28T17:58:46.001Z"
    # Resource fields are JSON numbers with a fraction, as the contract shows them (JSON
    # text may put spaces around the colon).
    assert re.search(rb'"cpus_required" ?: ?1\.0[,}]', response.content)
    assert re.search(rb'"mem_required" ?: ?64\.0[,}]', response.content)
    assert row["job_type"]["name"] == "kml-footprint"
    assert row["job_type"]["category"] == "footprint"


def test_updates_rows_list_each_input_file_once(api_client, rich_job):
    row = _get(api_client, "/jobs/updates/")["results"][0]
    parts = rich_job.test_parts
    assert [f["id"] for f in row["input_files"]] == [parts["source"].id] + [
        e.id for e in parts["extras"]
    ]
    source = row["input_files"][0]
    assert list(source) == FILE_KEYS
    assert source["workspace"] == {"id": parts["raw"].id, "name": "Raw Source"}
    assert source["data_type"] == ["landsat", "raw"]
    assert source["uuid"] == "c8928d9183fc99122948e7840ec9a0fd"
    assert source["url"] == "http://files.example.com/raw/2015/input_file.txt"
    assert source["meta_data"] == {"sensor": "L8"}
    assert source["file_size"] == 1234


def test_executions_rows_carry_the_newest_execution(api_client, rich_job):
    factories.JobFactory()  # a job with no execution at all
    rows = _get(api_client, "/jobs/executions/?order=id")["results"]
    latest = rows[0]["latest_job_exe"]
    newest = rich_job.test_parts["executions"][-1]
    assert list(latest) == EXECUTION_KEYS
    assert latest["id"] == newest.id
    assert latest["status"] == "COMPLETED"
    assert latest["job"] == {"id": rich_job.id}
    assert latest["node"] == {"id": newest.node_id}
    assert latest["error"] is None
    assert rows[1]["latest_job_exe"] is None


def _executions_with_a_tie(job: Job) -> tuple[list[JobExecution], JobExecution]:
    """Two executions created at the same moment, then one inserted last but created a
    year earlier: ordered by created, then id, the last-inserted is the oldest."""
    same_time = [factories.JobExecutionFactory(job=job) for _ in range(2)]
    older = factories.JobExecutionFactory(job=job)
    JobExecution.objects.filter(pk__in=[e.pk for e in same_time]).update(created=T0)
    JobExecution.objects.filter(pk=older.pk).update(created=T0.replace(year=2014))
    return same_time, older


def test_newest_execution_is_chosen_by_created_then_id(api_client):
    # Of the two with equal created, the greater id wins.
    same_time, _ = _executions_with_a_tie(factories.JobFactory())
    row = _get(api_client, "/jobs/executions/")["results"][0]
    assert row["latest_job_exe"]["id"] == same_time[1].id


def test_details_shape_and_full_nested_objects(api_client, rich_job):
    body = _get(api_client, f"/jobs/{rich_job.id}/")
    assert list(body) == ROW_KEYS + [
        "data", "results", "recipes", "job_exes", "inputs", "outputs",
    ]
    assert list(body["job_type"]) == JOB_TYPE_FULL_KEYS
    assert body["job_type"]["docker_image"] == "scale/test:1.0"
    assert body["job_type"]["archived"] is None
    assert list(body["job_type_rev"]) == ["id", "job_type", "revision_num", "interface", "created"]
    assert body["job_type_rev"]["job_type"] == {"id": rich_job.job_type_id}
    assert body["job_type_rev"]["interface"]["input_data"][0] == {
        "name": "input_file", "type": "file",
    }
    assert list(body["event"]) == ["id", "type", "rule", "occurred"]
    assert list(body["event"]["rule"]) == [
        "id", "type", "name", "is_active", "configuration", "created", "archived",
        "last_modified",
    ]
    assert body["event"]["rule"]["configuration"] == {"version": "1.0"}
    assert body["error"] is None
    assert body["data"] == rich_job.data
    assert body["results"] == rich_job.results


def test_details_error_is_the_full_error(api_client):
    error = factories.ErrorFactory(category="ALGORITHM")
    job = factories.JobFactory(status=Job.Status.FAILED, error=error)
    body = _get(api_client, f"/jobs/{job.id}/")
    assert list(body["error"]) == [
        "id", "name", "title", "description", "category", "created", "last_modified",
    ]
    assert body["error"]["category"] == "ALGORITHM"


def test_details_recipes_and_executions(api_client, rich_job):
    body = _get(api_client, f"/jobs/{rich_job.id}/")
    recipes = rich_job.test_parts["recipes"]
    assert [r["id"] for r in body["recipes"]] == [r.id for r in recipes]
    recipe = body["recipes"][0]
    assert list(recipe) == ["id", "recipe_type", "event", "created", "completed", "last_modified"]
    assert recipe["recipe_type"] == {
        "id": recipes[0].recipe_type_id, "name": recipes[0].recipe_type.name,
        "version": "1.0.0", "title": recipes[0].recipe_type.title,
        "description": "Runs jobs together",
    }
    assert list(recipe["event"]) == ["id", "type", "rule", "occurred"]
    assert recipe["event"]["rule"] == {"id": recipes[0].event.rule_id}
    # Newest first.
    executions = rich_job.test_parts["executions"]
    assert [e["id"] for e in body["job_exes"]] == [e.id for e in reversed(executions)]
    assert all(list(e) == EXECUTION_KEYS for e in body["job_exes"])
    assert body["job_exes"][1]["node"] is None


def test_details_order_executions_by_created_then_id_newest_first(api_client):
    job = factories.JobFactory()
    same_time, older = _executions_with_a_tie(job)
    body = _get(api_client, f"/jobs/{job.id}/")
    assert [e["id"] for e in body["job_exes"]] == [same_time[1].id, same_time[0].id, older.id]


def test_details_order_recipes_by_created_then_id_oldest_first(api_client):
    job = factories.JobFactory()
    same_time = [factories.RecipeJobFactory(job=job).recipe for _ in range(2)]
    older = factories.RecipeJobFactory(job=job).recipe
    Recipe.objects.filter(pk__in=[r.pk for r in same_time]).update(created=T0)
    Recipe.objects.filter(pk=older.pk).update(created=T0.replace(year=2014))
    body = _get(api_client, f"/jobs/{job.id}/")
    assert [r["id"] for r in body["recipes"]] == [older.id, same_time[0].id, same_time[1].id]


def test_details_inputs_merge_interface_and_data(api_client, rich_job):
    inputs = _get(api_client, f"/jobs/{rich_job.id}/")["inputs"]
    parts = rich_job.test_parts
    assert [(i["name"], i["type"]) for i in inputs] == [
        ("input_file", "file"), ("extra_files", "files"), ("threshold", "property"),
        ("unset_property", "property"),
    ]
    assert list(inputs[0]["value"]) == FILE_KEYS
    assert inputs[0]["value"]["id"] == parts["source"].id
    assert inputs[0]["value"]["url"] == "http://files.example.com/raw/2015/input_file.txt"
    assert [f["id"] for f in inputs[1]["value"]] == [e.id for e in parts["extras"]]
    assert inputs[2]["value"] == "0.5"
    assert inputs[3]["value"] is None


def test_details_outputs_are_product_files(api_client, rich_job):
    outputs = _get(api_client, f"/jobs/{rich_job.id}/")["outputs"]
    parts = rich_job.test_parts
    assert [(o["name"], o["type"]) for o in outputs] == [
        ("output_file", "file"), ("tiles", "files"),
    ]
    product = outputs[0]["value"]
    assert list(product) == PRODUCT_KEYS
    assert product["id"] == parts["product"].id
    assert product["workspace"] == {"id": parts["products"].id, "name": "Products"}
    assert product["url"] == ""  # the workspace has no base URL
    assert (product["is_operational"], product["is_published"]) == (True, True)
    assert product["published"] == "2015-08-28T17:55:41.005Z"
    assert product["unpublished"] is None
    assert product["job_type"] == {"id": rich_job.job_type_id}
    assert product["job"] == {"id": rich_job.id}
    assert product["job_exe"] == {"id": parts["executions"][-1].id}
    assert [t["id"] for t in outputs[1]["value"]] == [t.id for t in parts["tiles"]]


def test_details_of_a_job_without_results_shows_declared_outputs_empty(api_client):
    job = factories.JobFactory()
    body = _get(api_client, f"/jobs/{job.id}/")
    assert body["results"] == {} and body["data"] == job.data
    assert body["outputs"] == [{"name": "output_file", "type": "file", "value": None}]
    assert body["inputs"] == [{"name": "input_file", "type": "file", "value": None}]


def test_inputs_and_outputs_without_an_entry_are_null_whatever_their_type(api_client, rich_job):
    Job.objects.filter(pk=rich_job.pk).update(
        data={"version": "1.0", "input_data": []}, results={}
    )
    body = _get(api_client, f"/jobs/{rich_job.id}/")
    assert [(i["type"], i["value"]) for i in body["inputs"]] == [
        ("file", None), ("files", None), ("property", None), ("property", None)
    ]
    assert [(o["type"], o["value"]) for o in body["outputs"]] == [("file", None), ("files", None)]


@pytest.mark.parametrize(
    ("data", "results"),
    [
        ("not an object", ["nor", "this"]),
        ({"input_data": "oops"}, {"output_data": [{"name": ["x"]}, 5, None]}),
        ({"input_data": [{"name": "input_file", "file_id": "12"}]},
         {"output_data": [{"name": "output_file", "file_ids": "x"}]}),
        ({"input_data": [{"name": "input_file", "file_id": 10**30}]}, {}),
        ({"input_data": [{"name": "input_file", "file_id": 987654}]}, {}),
    ],
)
def test_details_survive_malformed_job_data(api_client, data, results):
    job = factories.JobFactory(data=data, results=results)
    body = _get(api_client, f"/jobs/{job.id}/")
    assert body["inputs"] == [{"name": "input_file", "type": "file", "value": None}]
    assert body["outputs"] == [{"name": "output_file", "type": "file", "value": None}]
