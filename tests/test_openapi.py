"""The OpenAPI schema tells the truth: it agrees with the FilterSets, the models' choices,
the responses the API really gives, and it is served with offline documentation."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from error.models import Error
from job.filters import JOB_ORDER_FIELDS, JobFilterSet, JobListFilterSet
from job.models import Job
from job_exe.models import JobExecution
from scale.api.filters import DATETIME_OR_DURATION_PATTERN, MAX_REPEATS, PG_BIGINT_MAX
from storage.models import Workspace
from tests import factories

# The rich job of the API tests: every part that the details page shows.
from tests.job.conftest import T0, rich_job, set_times  # noqa: F401

LISTS = {
    "/jobs/": JobListFilterSet,
    "/jobs/updates/": JobFilterSet,
    "/jobs/executions/": JobFilterSet,
}
ROW_COMPONENTS = {
    "/jobs/": "Job",
    "/jobs/updates/": "JobUpdate",
    "/jobs/executions/": "JobWithLatestExecution",
}
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def parameters(schema: dict, path: str, method: str = "get") -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path][method].get("parameters", [])}


def allows_null(schema: dict, node: dict) -> bool:
    """Whether an OpenAPI 3.1 schema admits null: ``type`` null (or a list with it), or a
    ``oneOf``/``anyOf`` option that does."""
    node = resolve(schema, node)
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(allows_null(schema, option) for option in node.get("oneOf", node.get("anyOf", [])))


def conform(schema: dict, node: dict, value, where: str = "$") -> None:
    """Assert ``value`` is what ``node`` documents, with exactly the documented keys.

    Stricter than JSON Schema on purpose: an object must carry every documented property
    and no other, at every level, so documented and real key sets cannot drift apart.
    """
    if "$ref" in node:
        conform(schema, resolve(schema, node), value, where)
        return
    if value is None:
        assert allows_null(schema, node), f"{where} is null but not nullable"
        return
    if "allOf" in node:
        for part in node["allOf"]:
            conform(schema, part, value, where)
        return
    options = node.get("oneOf", node.get("anyOf"))
    if options is not None:
        errors = []
        for option in options:
            if resolve(schema, option).get("type") == "null":
                continue
            try:
                conform(schema, option, value, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where} matches none of the options: {errors}")
    kind = node.get("type")
    if isinstance(kind, list):
        (kind,) = [option for option in kind if option != "null"]
    if kind is None:
        return  # any JSON value
    if kind == "object":
        assert isinstance(value, dict), f"{where} is not an object: {value!r}"
        properties = node.get("properties")
        if properties is None:
            return  # free-form object
        # Every required key, in the documented order; an optional one (a plot value's
        # id) only where the schema says it may be left out.
        present = [key for key in properties if key in value]
        assert list(value) == present, f"{where}: keys differ from the schema"
        assert set(node["required"]) <= set(present), f"{where}: a required key is missing"
        for key, item in value.items():
            conform(schema, properties[key], item, f"{where}.{key}")
        return
    if kind == "array":
        assert isinstance(value, list), f"{where} is not an array: {value!r}"
        for index, item in enumerate(value):
            conform(schema, node.get("items", {}), item, f"{where}[{index}]")
        return
    python_types = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
    assert isinstance(value, python_types[kind]), f"{where}: {value!r} is not {kind}"
    if kind in ("integer", "number"):
        assert not isinstance(value, bool), f"{where}: {value!r} is not {kind}"
    if "enum" in node:
        assert value in node["enum"], f"{where}: {value!r} not in {node['enum']}"
    if node.get("format") == "date-time":
        assert ISO_MILLIS.match(value), f"{where}: {value!r} is not a UTC datetime"


# --- the schema itself -----------------------------------------------------------------


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(target),
    )
    document = json.loads(target.read_text())
    validate_schema(document)
    assert document["info"]["title"] == "Scale Job Services"


def test_schema_describes_every_endpoint_and_method(schema):
    operations = {
        (path, method) for path, item in schema["paths"].items() for method in item
    }
    assert operations == {
        ("/errors/", "get"),
        ("/errors/{id}/", "get"),
        ("/job-executions/", "get"),
        ("/job-executions/{id}/", "get"),
        ("/nodes/", "get"),
        ("/nodes/{id}/", "get"),
        ("/nodes/status/", "get"),
        ("/recipe-types/", "get"),
        ("/recipe-types/{id}/", "get"),
        ("/recipes/", "get"),
        ("/recipes/{id}/", "get"),
        ("/status/", "get"),
        ("/version/", "get"),
        ("/job-executions/{id}/logs/", "get"),
        ("/job-types/", "get"),
        ("/job-types/{id}/", "get"),
        ("/job-types/status/", "get"),
        ("/job-types/running/", "get"),
        ("/job-types/system-failures/", "get"),
        ("/jobs/", "get"),
        ("/jobs/{id}/", "get"),
        ("/jobs/{id}/", "patch"),
        ("/jobs/updates/", "get"),
        ("/jobs/executions/", "get"),
        ("/queue/status/", "get"),
        ("/queue/new-job/", "post"),
        ("/queue/requeue-jobs/", "post"),
        ("/load/", "get"),
        ("/metrics/", "get"),
        ("/metrics/{name}/", "get"),
        ("/metrics/{name}/plot-data/", "get"),
        ("/workspaces/", "get"),
        ("/workspaces/{id}/", "get"),
    }


@pytest.mark.django_db
def test_schema_is_served_as_yaml_and_json(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.1.0\n")
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Scale Job Services"


# --- query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(("path", "filterset"), LISTS.items())
def test_list_parameters_are_the_filterset_and_the_pagination(schema, path, filterset):
    documented = set(parameters(schema, path))
    assert documented == set(filterset.base_filters) | {
        "page", "page_size", "after", "before", "cursor"
    }
    assert ("job_id" in documented) == (path == "/jobs/")


@pytest.mark.parametrize("path", LISTS)
def test_repeatable_parameters_are_exploded_arrays_with_their_enums(schema, path):
    params = parameters(schema, path)
    repeatable = {"status", "job_type_id", "job_type_name", "job_type_category",
                  "error_category", "order"} | ({"job_id"} if path == "/jobs/" else set())
    for name in repeatable:
        param = params[name]
        assert param["in"] == "query" and not param.get("required", False), name
        assert (param["explode"], param["style"]) == (True, "form"), name
        assert param["schema"]["type"] == "array", name
        assert param["schema"]["maxItems"] == MAX_REPEATS, name
    # The query parameters share the named enums of the bodies.
    assert params["status"]["schema"]["items"] == {"$ref": "#/components/schemas/JobStatus"}
    assert params["error_category"]["schema"]["items"] == {
        "$ref": "#/components/schemas/ErrorCategory"
    }
    assert params["order"]["schema"]["items"] == {"$ref": "#/components/schemas/JobOrder"}
    order = component(schema, "JobOrder")
    assert order["enum"] == [term for field in JOB_ORDER_FIELDS for term in (field, f"-{field}")]
    assert order["x-enum-varnames"][:4] == ["ID", "ID_DESC", "STATUS", "STATUS_DESC"]
    assert "JOB_TYPE_NAME_DESC" in order["x-enum-varnames"]
    for name in ("job_type_id", *(["job_id"] if path == "/jobs/" else [])):
        assert params[name]["schema"]["items"] == {
            "type": "integer", "format": "int64", "minimum": 1, "maximum": PG_BIGINT_MAX,
        }
    for name in ("job_type_name", "job_type_category"):
        items = params[name]["schema"]["items"]
        assert (items["type"], items["minLength"], items["maxLength"]) == ("string", 1, 250)


@pytest.mark.parametrize("path", LISTS)
def test_time_window_and_pagination_parameters(schema, path):
    params = parameters(schema, path)
    for name in ("started", "ended"):
        # A duration is allowed too: not format date-time, but the pattern the field enforces.
        assert params[name]["schema"] == {
            "type": "string", "pattern": DATETIME_OR_DURATION_PATTERN, "maxLength": 100,
        }
        assert "ISO-8601 datetime with timezone, or ISO-8601 duration" in (
            params[name]["description"]
        )
        assert {e["value"] for e in params[name]["examples"].values()} == {
            "2015-01-01T00:00:00Z", "PT3H0M0S"
        }
        assert "explode" not in params[name]
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1,
                                        "maximum": 10**18 - 1}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}


def test_details_and_cancel_take_an_integer_id_in_the_path(schema):
    for method in ("get", "patch"):
        param = parameters(schema, "/jobs/{id}/", method)["id"]
        assert (param["in"], param["required"], param["schema"]["type"]) == (
            "path", True, "integer"
        )
        assert set(parameters(schema, "/jobs/{id}/", method)) == {"id"}


# --- enums, request body, security -----------------------------------------------------


def test_enums_equal_the_model_choices(schema):
    assert component(schema, "JobStatus")["enum"] == Job.Status.values
    assert component(schema, "JobExecutionStatus")["enum"] == JobExecution.Status.values
    assert component(schema, "ErrorCategory")["enum"] == Error.Category.values
    job = component(schema, "Job")["properties"]
    assert job["status"]["allOf"] == [{"$ref": "#/components/schemas/JobStatus"}]
    execution = component(schema, "JobExecution")["properties"]
    assert execution["status"]["allOf"] == [{"$ref": "#/components/schemas/JobExecutionStatus"}]
    category = component(schema, "JobStatusCount")["properties"]["category"]
    assert category["oneOf"] == [
        {"$ref": "#/components/schemas/ErrorCategory"}, {"$ref": "#/components/schemas/NullEnum"}
    ]
    assert component(schema, "NullEnum")["type"] == "null"
    enums = [name for name, c in schema["components"]["schemas"].items() if "enum" in c]
    assert not [name for name in enums if name.endswith("Enum")], enums


def test_cancel_body_is_status_canceled_and_nothing_else(schema):
    body = schema["paths"]["/jobs/{id}/"]["patch"]["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["application/json"]
    request = resolve(schema, body["content"]["application/json"]["schema"])
    assert request["required"] == ["status"]
    assert request["additionalProperties"] is False
    status = request["properties"]["status"]
    assert resolve(schema, status["allOf"][0])["enum"] == ["CANCELED"]
    ok = schema["paths"]["/jobs/{id}/"]["patch"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobDetails"
    }


def test_token_authentication_is_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    token = schemes["tokenAuth"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    assert "Authorization: Token <key>" in token["description"]
    assert schemes["cookieAuth"]["in"] == "cookie"
    patch = schema["paths"]["/jobs/{id}/"]["patch"]["security"]
    assert patch == [{"tokenAuth": []}, {"cookieAuth": []}]
    for path, item in schema["paths"].items():
        # Reads are open: no credentials needed, said as generators read it.
        if "get" in item:
            assert item["get"]["security"] == [], path


# --- error responses -------------------------------------------------------------------

EXPECTED_ERRORS = {
    ("/jobs/", "get"): {400, 401, 404, 406, 414, 429, 503},
    ("/jobs/updates/", "get"): {400, 401, 404, 406, 414, 429, 503},
    ("/jobs/executions/", "get"): {400, 401, 404, 406, 414, 429, 503},
    ("/jobs/{id}/", "get"): {401, 404, 406, 414, 429, 503},
    ("/jobs/{id}/", "patch"): {400, 401, 403, 404, 406, 409, 413, 414, 415, 429, 503},
    ("/queue/new-job/", "post"): {400, 401, 403, 406, 409, 413, 414, 415, 429, 503},
    ("/queue/requeue-jobs/", "post"): {400, 401, 403, 404, 406, 413, 414, 415, 429, 503},
}


@pytest.mark.parametrize(("operation", "codes"), EXPECTED_ERRORS.items())
def test_error_responses_are_documented_as_text_and_json(schema, operation, codes):
    path, method = operation
    responses = schema["paths"][path][method]["responses"]
    success = 201 if operation == ("/queue/new-job/", "post") else 200
    assert {int(code) for code in responses} == {success} | codes
    for code in codes:
        content = responses[str(code)]["content"]
        assert content["text/plain"]["schema"] == {"type": "string"}
        if code == 414:  # answered by gunicorn, before the service: text only
            assert list(content) == ["text/plain"]
        else:
            assert content["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorDetail"
            }
    detail = component(schema, "ErrorDetail")
    assert (detail["required"], list(detail["properties"])) == (["detail"], ["detail"])


def _documented(schema, path, method, response):
    documented = schema["paths"][path][method]["responses"]
    code = str(response.status_code)
    assert code in documented, f"{method.upper()} {path}: {code} is not documented"
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in documented[code]["content"], f"{code}: {media_type} not documented"
    return documented[code]["content"][media_type]["schema"]


@pytest.mark.django_db
def test_real_error_responses_match_the_documented_ones(schema, api_client):
    job = factories.JobFactory(status=Job.Status.COMPLETED)
    operator = make_user("operator", can_cancel=True)
    reader = make_user("reader", can_cancel=False)
    cases = [
        ("/jobs/", "get", {"data": {"page_size": "0"}}, 400),
        ("/jobs/updates/", "get", {"data": {"status": "NOPE"}}, 400),
        ("/jobs/executions/", "get", {"data": {"page": "99"}}, 404),
        ("/jobs/", "get", {"HTTP_AUTHORIZATION": "Token not-a-token"}, 401),
        ("/jobs/", "get", {"HTTP_ACCEPT": "application/xml"}, 406),
        ("/jobs/{id}/", "get", {}, 404),
        ("/jobs/{id}/", "patch", {"data": {"status": "CANCELED"}, "format": "json"}, 401),
    ]
    for accept in ("*/*", "application/json"):
        for path, method, kwargs, code in cases:
            url = path.replace("{id}", "987654")
            kwargs = {"HTTP_ACCEPT": accept, **kwargs}
            response = getattr(api_client, method)(url, **kwargs)
            assert response.status_code == code, (url, response.content)
            body_schema = _documented(schema, path, method, response)
            body = response.json() if "json" in response["Content-Type"] else response.content
            if isinstance(body, dict):
                conform(schema, body_schema, body)

    url = f"/jobs/{job.pk}/"
    patch_cases = [
        (operator, {"data": {"status": "RUNNING"}, "format": "json"}, 400),
        (operator, {"data": {"status": "CANCELED", "x": 1}, "format": "json"}, 400),
        (operator, {"data": "status=CANCELED",
                    "content_type": "application/x-www-form-urlencoded"}, 415),
        (operator, {"data": {"status": "CANCELED"}, "format": "json"}, 409),
        (reader, {"data": {"status": "CANCELED"}, "format": "json"}, 403),
    ]
    for user, kwargs, code in patch_cases:
        api_client.force_authenticate(user)
        response = api_client.patch(url, HTTP_ACCEPT="application/json", **kwargs)
        assert response.status_code == code, response.content
        conform(schema, _documented(schema, "/jobs/{id}/", "patch", response), response.json())


def make_user(username: str, *, can_cancel: bool) -> User:
    user = User.objects.create_user(username)
    if can_cancel:
        user.user_permissions.add(Permission.objects.get(codename="change_job"))
    return user


# --- response bodies -------------------------------------------------------------------


@pytest.fixture
def varied_jobs(rich_job):  # noqa: F811
    """Jobs that exercise every nullable part: an error, no rule, no execution, no node."""
    error = factories.ErrorFactory(category=Error.Category.DATA, title=None, description=None)
    rule_less = factories.TriggerEventFactory(rule=None)
    failed = factories.JobFactory(status=Job.Status.FAILED, error=error, event=rule_less,
                                  disk_in_required=None)
    factories.JobExecutionFactory(job=failed, status="FAILED", node=None, error=error)
    bare = factories.JobFactory(status=Job.Status.PENDING)  # no execution, no input files
    set_times(bare, queued=None, started=None, ended=None, last_status_change=None,
              last_modified=T0 - timedelta(days=1))
    return [rich_job, failed, bare]


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_list_pages_conform_to_the_schema_key_for_key(schema, api_client, varied_jobs, path):
    response = api_client.get(path, {"page_size": 2})
    assert response.status_code == 200
    page_schema = _documented(schema, path, "get", response)
    body = response.json()
    conform(schema, page_schema, body)
    assert body["count"] == 3 and body["next"] is not None and body["previous"] is None
    rows = body["results"] + api_client.get(body["next"]).json()["results"]
    row_schema = component(schema, ROW_COMPONENTS[path])
    assert list(row_schema["properties"]) == list(rows[0])
    for row in rows:
        conform(schema, row_schema, row)


@pytest.mark.django_db
def test_nullable_parts_are_null_in_some_row_and_documented_nullable(
    schema, api_client, varied_jobs
):
    rows = api_client.get("/jobs/executions/").json()["results"]
    row_schema = component(schema, "JobWithLatestExecution")["properties"]
    for key in ("error", "queued", "started", "ended", "last_status_change",
                "disk_in_required", "latest_job_exe"):
        assert any(row[key] is None for row in rows), key
        assert allows_null(schema, row_schema[key]), key
    rule = component(schema, "TriggerEventBrief")["properties"]["rule"]
    assert rule["oneOf"] == [{"$ref": "#/components/schemas/IdObject"}, {"type": "null"}]
    assert component(schema, "IdObject") == {
        "type": "object", "description": "A related object by its id.",
        "properties": {"id": {"type": "integer", "format": "int64",
                              "description": "The unique identifier of the model."}},
        "required": ["id"], "additionalProperties": False,
    }
    # OpenAPI 3.1: null is a type; 3.0's nullable appears nowhere.
    assert '"nullable"' not in json.dumps(schema)


@pytest.mark.django_db
def test_job_details_conform_to_the_schema_key_for_key(schema, api_client, varied_jobs):
    details_schema = component(schema, "JobDetails")
    for job in varied_jobs:
        response = api_client.get(f"/jobs/{job.pk}/")
        assert response.status_code == 200
        conform(schema, _documented(schema, "/jobs/{id}/", "get", response), response.json())
        assert list(details_schema["properties"]) == list(response.json())
    inputs = api_client.get(f"/jobs/{varied_jobs[0].pk}/").json()["inputs"]
    assert [i["type"] for i in inputs] == ["file", "files", "property", "property"]
    value = component(schema, "JobInterfaceValue")["properties"]["value"]
    assert [option["type"] for option in value["anyOf"]] == [
        "string", "number", "boolean", "object", "array", "null"
    ]


@pytest.mark.django_db
def test_cancel_answer_conforms_to_the_schema(schema, api_client):
    job = factories.JobFactory(status=Job.Status.RUNNING)
    factories.JobExecutionFactory(job=job, status="RUNNING")
    token = Token.objects.create(user=make_user("operator", can_cancel=True))
    response = api_client.patch(
        f"/jobs/{job.pk}/", {"status": "CANCELED"}, format="json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200
    conform(schema, _documented(schema, "/jobs/{id}/", "patch", response), response.json())
    assert response.json()["status"] == "CANCELED"


# --- documentation ---------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.mark.django_db
def test_docs_render_with_assets_served_by_the_project(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Scale Job Services" in html
    assert "://" not in html  # nothing from another host: works offline
    # Its start-up script is a file of its own (no inline script: see the CSP).
    assert '<script src="/api/docs/?script="></script>' in html
    script = api_client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    assert "://" not in script.content.decode()
    parser = _Assets()
    parser.feed(html)
    assets = [url for url in parser.urls if url.startswith("/static/")]
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        asset = api_client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content), url


@pytest.mark.django_db
def test_swagger_ui_loads_its_css_and_bundle_locally(api_client):
    html = api_client.get("/api/docs/").content.decode()
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"):
        match = re.search(rf'"(/static/drf_spectacular_sidecar/[^"]*{re.escape(name)})"', html)
        assert match, name
        assert api_client.get(match.group(1)).status_code == 200


def test_health_is_left_out_of_the_schema(schema):
    assert "/health/" not in schema["paths"]
    assert not any(path.startswith("/api/") for path in schema["paths"])


@pytest.mark.django_db
def test_job_type_and_execution_bodies_conform_to_the_schema(schema, api_client, varied_jobs):
    job_type = varied_jobs[0].job_type
    job_type.error_mapping = {"version": "1.0", "exit_codes": {"1": varied_jobs[1].error.name}}
    job_type.trigger_rule = factories.TriggerRuleFactory()
    job_type.save()
    for path, detail in (("/job-types/", "/job-types/{id}/"),
                         ("/job-executions/", "/job-executions/{id}/")):
        response = api_client.get(path)
        assert response.status_code == 200
        body = response.json()
        conform(schema, _documented(schema, path, "get", response), body)
        assert body["count"] >= 2
        for row in body["results"]:
            response = api_client.get(detail.replace("{id}", str(row["id"])))
            assert response.status_code == 200
            conform(schema, _documented(schema, detail, "get", response), response.json())


@pytest.mark.django_db
def test_neighbouring_service_bodies_conform_to_the_schema(schema, api_client, varied_jobs):
    failed = varied_jobs[1]
    factories.ErrorFactory(is_builtin=True)
    node = factories.NodeFactory(pause_reason="maintenance", is_paused=True)
    factories.NodeFactory(is_active=False)
    factories.JobExecutionFactory(job=varied_jobs[0], status="RUNNING", node=node,
                                  error=failed.error, cpus_scheduled=1.0)
    files = factories.ScaleFileFactory.create_batch(2)
    kml = varied_jobs[0].job_type
    definition = {"version": "1.0", "jobs": [
        {"name": "kml", "job_type": {"name": kml.name, "version": kml.version}}
    ]}
    with_rule = factories.RecipeTypeFactory(trigger_rule=factories.TriggerRuleFactory(),
                                            definition=definition)
    factories.RecipeTypeFactory(title=None, description=None)
    recipe = factories.RecipeFactory(
        recipe_type=with_rule,
        data={"version": "1.0", "input_data": [{"name": "f", "file_ids": [f.pk for f in files]}]},
    )
    factories.RecipeJobFactory(recipe=recipe, job=failed)
    factories.RecipeFactory(event=factories.TriggerEventFactory(rule=None))
    for path, detail, params in (
        ("/errors/", "/errors/{id}/", {}),
        ("/recipe-types/", "/recipe-types/{id}/", {}),
        ("/recipes/", "/recipes/{id}/", {}),
        ("/nodes/", "/nodes/{id}/", {"include_inactive": "true"}),
    ):
        response = api_client.get(path, params)
        assert response.status_code == 200
        body = response.json()
        conform(schema, _documented(schema, path, "get", response), body)
        assert body["count"] >= 2, path
        for row in body["results"]:
            response = api_client.get(detail.replace("{id}", str(row["id"])))
            assert response.status_code == 200
            conform(schema, _documented(schema, detail, "get", response), response.json())
    for path in ("/nodes/status/", "/status/", "/version/"):
        response = api_client.get(path)
        assert response.status_code == 200
        conform(schema, _documented(schema, path, "get", response), response.json())
def test_job_type_counts_and_logs_conform_to_the_schema(schema, api_client, varied_jobs):
    system = factories.ErrorFactory(category=Error.Category.SYSTEM)
    factories.JobFactory(status=Job.Status.FAILED, error=system)
    running = factories.JobFactory(status=Job.Status.RUNNING)
    set_times(running, started=T0)
    queued = factories.JobFactory(status=Job.Status.QUEUED)
    set_times(queued, queued=T0)
    for path in ("/job-types/status/", "/job-types/running/", "/job-types/system-failures/",
                 "/queue/status/"):
        response = api_client.get(path, {"started": "P30000D"} if "status" in path else {})
        assert response.status_code == 200
        body = response.json()
        assert body["results"], path
        conform(schema, _documented(schema, path, "get", response), body)
    assert parameters(schema, "/job-types/status/").keys() == {
        "page", "page_size", "after", "before", "cursor", "started", "ended"
    }
    assert parameters(schema, "/job-types/running/").keys() == {"page", "page_size"}
    assert parameters(schema, "/job-types/system-failures/").keys() == {"page", "page_size"}
    execution = factories.JobExecutionFactory(stdout="out", stderr=None)
    response = api_client.get(f"/job-executions/{execution.pk}/logs/")
    body = json.loads(b"".join(response.streaming_content))
    conform(schema, _documented(schema, "/job-executions/{id}/logs/", "get", response), body)
    assert list(component(schema, "JobExecutionLogs")["properties"]) == list(body)


@pytest.mark.django_db
def test_queue_write_answers_conform_to_the_schema(schema, api_client):
    user = make_user("queuer", can_cancel=True)
    for codename in ("queue_job", "requeue_job"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    interface = {"command": "true", "command_arguments": "${x}",
                 "input_data": [{"name": "x", "type": "property"}], "output_data": []}
    job_type = factories.JobTypeFactory(interface=interface, revision_num=1)
    factories.JobTypeRevisionFactory(job_type=job_type, revision_num=1, interface=interface)
    api_client.force_authenticate(user)
    body = {"job_type_id": job_type.id, "job_data": {"input_data": [{"name": "x", "value": "1"}]}}
    response = api_client.post("/queue/new-job/", body, format="json")
    assert response.status_code == 201
    conform(schema, _documented(schema, "/queue/new-job/", "post", response), response.json())
    api_client.patch(f"/jobs/{response.json()['id']}/", {"status": "CANCELED"}, format="json")
    factories.JobFactory(status="FAILED", job_type=job_type)
    for path, body, code in (
        ("/queue/requeue-jobs/", {"status": "CANCELED"}, 200),  # the job canceled above
        ("/queue/requeue-jobs/?page=9", {}, 404),
        ("/queue/requeue-jobs/", {"status": "RUNNING"}, 400),
        ("/queue/new-job/", {"job_type_id": job_type.id, "job_data": {}}, 400),
    ):
        response = api_client.post(path, body, format="json", HTTP_ACCEPT="application/json")
        assert response.status_code == code, response.content
        if code == 200:
            assert [row["status"] for row in response.json()["results"]] == ["QUEUED"]
        conform(schema, _documented(schema, path.split("?")[0], "post", response),
                response.json())


@pytest.mark.django_db
def test_load_metrics_and_workspace_bodies_conform_to_the_schema(schema, api_client, varied_jobs):
    other = factories.JobFactory(status=Job.Status.FAILED,
                                 error=factories.ErrorFactory(category=Error.Category.DATA))
    Job.objects.filter(pk=other.pk).update(ended=T0, last_status_change=T0)
    job_types = [str(pk) for pk in Job.objects.values_list("job_type_id", flat=True).distinct()]
    assert len(job_types) >= 2
    for path, params in (
        ("/load/", {"started": "P3D"}),
        ("/metrics/", {}),
        ("/metrics/{name}/plot-data/", {"started": "P30000D"}),
        ("/metrics/{name}/plot-data/", {"started": "P30000D", "choice_id": job_types}),
        ("/metrics/{name}/plot-data/", {"started": "2999-01-01T00:00:00Z"}),  # nulls
        ("/workspaces/", {}),
    ):
        response = api_client.get(path.replace("{name}", "job-types"), params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["results"], path
        conform(schema, _documented(schema, path, "get", response), body)
    for path in ("/metrics/{name}/", "/workspaces/{id}/"):
        real = path.replace("{name}", "job-types").replace(
            "{id}", str(Workspace.objects.first().pk))
        response = api_client.get(real)
        assert response.status_code == 200
        conform(schema, _documented(schema, path, "get", response), response.json())
    assert parameters(schema, "/load/").keys() == {
        "page", "page_size", "started", "ended", "job_type_id", "job_type_name",
        "job_type_category", "job_type_priority",
    }
    assert parameters(schema, "/metrics/{name}/plot-data/").keys() == {
        "page", "page_size", "started", "ended", "choice_id", "column", "group", "name",
    }
    column = parameters(schema, "/metrics/{name}/plot-data/")["column"]["schema"]
    assert "system_error_count" in column["items"]["enum"]
