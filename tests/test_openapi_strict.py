"""The schema as client generators and strict validators read it: OpenAPI 3.1, every
operation named and every schema described, and every response of every endpoint, over
demo data of every status, valid under JSON Schema 2020-12 (jsonschema, formats checked)."""

from __future__ import annotations

import json
import re
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from rest_framework.authtoken.models import Token

from job.models import Job
from tests.test_openapi import conform

DOCUMENT = "urn:scale-job-services:openapi"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class StrictValidator:
    """A response body checked against the schema that the document gives its operation,
    status and media type, by JSON Schema 2020-12 (OpenAPI 3.1's dialect) with formats."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        resource = Resource.from_contents(schema, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT, resource)
        self.format_checker = FormatChecker()
        self.checked: set[tuple[str, str, str, str]] = set()

    def validate(self, path: str, method: str, response) -> None:
        code = str(response.status_code)
        media_type = response["Content-Type"].split(";")[0]
        responses = self.schema["paths"][path][method]["responses"]
        assert code in responses, f"{method.upper()} {path}: {code} is not documented"
        content = responses[code]["content"]
        assert media_type in content, f"{method.upper()} {path} {code}: {media_type}"
        location = pointer("paths", path, method, "responses", code, "content", media_type,
                           "schema")
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT}#{location}"},
            registry=self.registry,
            format_checker=self.format_checker,
        )
        if media_type == "application/json":
            raw = (b"".join(response.streaming_content) if response.streaming
                   else response.content)
            body = json.loads(raw)
            # Key for key as well: every documented property present, no other.
            conform(self.schema, content[media_type]["schema"], body)
        else:
            body = response.content.decode()
        errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
        assert not errors, f"{method.upper()} {path} {code}: " + "; ".join(
            f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
        )
        self.checked.add((path, method, code, media_type))


# --- the document ----------------------------------------------------------------------


def test_schema_is_openapi_3_1_and_valid(schema):
    assert schema["openapi"] == "3.1.0"
    validate_schema(schema)  # the OpenAPI 3.1 meta-schema
    for name, component in schema["components"]["schemas"].items():
        Draft202012Validator.check_schema(component), name
    assert '"nullable"' not in json.dumps(schema)
    assert "date-time" in FormatChecker.checkers  # formats really checked below


def test_every_example_validates_against_its_schema(schema):
    strict = StrictValidator(schema)
    examples = 0
    for path, method, operation in operations(schema):
        bodies = [("requestBody", operation.get("requestBody", {}))]
        bodies += [(f"responses/{code}", r) for code, r in operation["responses"].items()]
        for where, body in bodies:
            for media_type, content in body.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    location = pointer("paths", path, method, *where.split("/"), "content",
                                       media_type, "schema")
                    validator = Draft202012Validator(
                        {"$ref": f"{DOCUMENT}#{location}"}, registry=strict.registry,
                        format_checker=strict.format_checker,
                    )
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert not errors, (path, method, where, name, errors[:3])
                    if media_type == "application/json":
                        conform(schema, content["schema"], example["value"])
                    examples += 1
    assert examples > 100  # the contract's, and one JSON error per documented status
    details = schema["paths"]["/jobs/{id}/"]["get"]["responses"]["200"]["content"]
    assert details["application/json"]["examples"]["ACompletedJob"]["value"]["id"] == 15096


def test_every_operation_is_named_by_the_rule(schema):
    names = {(path, method): op["operationId"] for path, method, op in operations(schema)}
    assert names == {
        ("/jobs/", "get"): "listJobs",
        ("/jobs/{id}/", "get"): "getJob",
        ("/jobs/{id}/", "patch"): "cancelJob",
        ("/jobs/updates/", "get"): "listJobUpdates",
        ("/jobs/executions/", "get"): "listJobExecutions",
        ("/job-types/", "get"): "listJobTypes",
        ("/job-types/{id}/", "get"): "getJobType",
        ("/job-types/status/", "get"): "listJobTypeStatus",
        ("/job-types/running/", "get"): "listJobTypeRunning",
        ("/job-types/system-failures/", "get"): "listJobTypeSystemFailures",
        ("/job-executions/", "get"): "listExecutions",
        ("/job-executions/{id}/", "get"): "getExecution",
        ("/job-executions/{id}/logs/", "get"): "getExecutionLogs",
        ("/nodes/", "get"): "listNodes",
        ("/nodes/{id}/", "get"): "getNode",
        ("/nodes/status/", "get"): "listNodeStatus",
        ("/errors/", "get"): "listErrors",
        ("/errors/{id}/", "get"): "getError",
        ("/recipe-types/", "get"): "listRecipeTypes",
        ("/recipe-types/{id}/", "get"): "getRecipeType",
        ("/recipes/", "get"): "listRecipes",
        ("/recipes/{id}/", "get"): "getRecipe",
        ("/queue/status/", "get"): "listQueueStatus",
        ("/status/", "get"): "getStatus",
        ("/version/", "get"): "getVersion",
        # Added by another branch, named by the rule with no work of its own.
        ("/load/", "get"): "listLoad",
        ("/metrics/", "get"): "listMetrics",
        ("/metrics/{name}/", "get"): "getMetric",
        ("/metrics/{name}/plot-data/", "get"): "listMetricPlotData",
        ("/workspaces/", "get"): "listWorkspaces",
        ("/workspaces/{id}/", "get"): "getWorkspace",
        # Writes of another branch: named where they are declared (the rule would say
        # createQueueNewJob).
        ("/queue/new-job/", "post"): "queueNewJob",
        ("/queue/requeue-jobs/", "post"): "requeueJobs",
    }
    assert len(set(names.values())) == len(names)


# reST markup, module names, the documents the code was written from.
INTERNALS = re.compile(r"``|\bselectors?\b|\bserializers?\b|\.rst\b|\bjob_count\b|\.py\b",
                       re.IGNORECASE)


def test_every_schema_and_property_is_described_in_the_apis_words(schema):
    undescribed, internal = [], []
    for name, component in schema["components"]["schemas"].items():
        texts = [(name, component.get("description"))]
        texts += [(f"{name}.{key}", prop.get("description"))
                  for key, prop in component.get("properties", {}).items()]
        for where, text in texts:
            if not text:
                undescribed.append(where)
            elif INTERNALS.search(text):
                internal.append(f"{where}: {text}")
    for path, method, operation in operations(schema):
        for key in ("summary", "description"):
            text = operation.get(key)
            if not text:
                undescribed.append(f"{method} {path} {key}")
            elif INTERNALS.search(text):
                internal.append(f"{method} {path}: {text}")
        for parameter in operation.get("parameters", []):
            if not parameter.get("description"):
                undescribed.append(f"{method} {path} ?{parameter['name']}")
    assert undescribed == []
    assert internal == []


@pytest.mark.django_db
def test_servers_entry_is_the_service_itself(schema, api_client):
    assert schema["servers"] == [
        {"url": "/", "description": "This service. Every path is also served under /v3/."}
    ]
    served = api_client.get("/api/schema/", {"format": "json"}).json()
    assert served["servers"][0]["url"] == "http://testserver"


# --- every response, over demo data of every status -----------------------------------


@pytest.fixture
def demo_data() -> None:
    call_command("generate_demo_data", jobs=60, seed=7, now="2026-01-05T12:00:00Z",
                 stdout=StringIO(), stderr=StringIO())
    assert set(Job.objects.values_list("status", flat=True)) == set(Job.Status.values)


def every_page(api_client, strict, url: str, params: dict, path: str | None = None) -> list[dict]:
    """Every row of a list, following next; each page checked as ``path`` documents it."""
    rows, path = [], path or url
    while url:
        response = api_client.get(url, params)
        strict.validate(path, "get", response)
        body = response.json()
        rows += body["results"]
        if body["next"]:
            parts = urlsplit(body["next"])
            url, params = parts.path, parse_qs(parts.query)
        else:
            url = None
    return rows


@pytest.mark.django_db
def test_every_response_of_every_endpoint_validates_strictly(
    schema, api_client, demo_data, settings
):
    strict = StrictValidator(schema)
    settings.AXES_FAILURE_LIMIT = 10_000  # the bad tokens below are not an attack
    list_params = {"page_size": 25}
    windows = {"/job-types/status/": {"started": "P3650D"}, "/nodes/status/": {"started": "P3650D"}}
    rows_of: dict[str, list[dict]] = {}
    for path, method, operation in operations(schema):
        if method != "get" or "{" in path:
            continue
        if not operation["operationId"].startswith("list"):  # not a page
            strict.validate(path, "get", api_client.get(path))
            continue
        rows = every_page(api_client, strict, path, {**list_params, **windows.get(path, {})})
        assert rows, path
        rows_of[path] = rows
    # Each object of a list, by its id (or name), at every path below the list's.
    for path, method, operation in operations(schema):
        if method != "get" or "{" not in path:
            continue
        base, _, rest = path.partition("{")
        variable = rest.split("}")[0]
        for row in rows_of[base]:
            url = path.replace(f"{{{variable}}}", str(row[variable]))
            if operation["operationId"].startswith("list"):
                every_page(api_client, strict, url, dict(list_params), path)
            else:
                strict.validate(path, "get", api_client.get(url))

    # The errors, in both media types.
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        # No renderer gives text/plain: an error is text/plain when JSON is not asked for.
        response = api_client.get(re.sub(r"\{[^}]+\}", "1", path), HTTP_ACCEPT="application/xml")
        assert response.status_code == 406, path
        strict.validate(path, "get", response)
        for accept in ("application/json", "*/*"):
            if "{" in path:
                unknown = re.sub(r"\{[^}]+\}", "987654321", path)
                response = api_client.get(unknown, HTTP_ACCEPT=accept)
                assert response.status_code == 404, path
                strict.validate(path, "get", response)
            elif operation["operationId"].startswith("list"):
                for params, code in (({"page_size": "0"}, 400), ({"page": "9999"}, 404)):
                    response = api_client.get(path, params, HTTP_ACCEPT=accept)
                    assert response.status_code == code, (path, params)
                    strict.validate(path, "get", response)
            response = api_client.get(re.sub(r"\{[^}]+\}", "1", path),
                                      HTTP_AUTHORIZATION="Token bad", HTTP_ACCEPT=accept)
            assert response.status_code == 401, path
            strict.validate(path, "get", response)

    # Cancel: a job of every status, by a user who may, one who may not, and no one.
    operator = User.objects.create_user("operator")
    operator.user_permissions.add(Permission.objects.get(codename="change_job"))
    reader = User.objects.create_user("reader")
    tokens = {user: Token.objects.create(user=user).key for user in (operator, reader)}
    cancel = "/jobs/{id}/"
    for status in Job.Status.values:
        job = Job.objects.filter(status=status).order_by("id").first()
        url = f"/jobs/{job.pk}/"
        for accept in ("application/json", "*/*"):
            for headers, code in (
                ({}, 401),
                ({"HTTP_AUTHORIZATION": f"Token {tokens[reader]}"}, 403),
            ):
                response = api_client.patch(url, {"status": "CANCELED"}, format="json",
                                            HTTP_ACCEPT=accept, **headers)
                assert response.status_code == code
                strict.validate(cancel, "patch", response)
        auth = {"HTTP_AUTHORIZATION": f"Token {tokens[operator]}"}
        response = api_client.patch(url, {"status": "RUNNING"}, format="json", **auth,
                                    HTTP_ACCEPT="application/json")
        assert response.status_code == 400
        strict.validate(cancel, "patch", response)
        response = api_client.patch(url, {"status": "CANCELED"}, format="json", **auth,
                                    HTTP_ACCEPT="application/json")
        assert response.status_code == (409 if status == Job.Status.COMPLETED else 200), status
        strict.validate(cancel, "patch", response)
    completed = Job.objects.filter(status=Job.Status.COMPLETED).first()
    response = api_client.patch(f"/jobs/{completed.pk}/", {"status": "CANCELED"}, format="json",
                                HTTP_AUTHORIZATION=f"Token {tokens[operator]}")
    assert response.status_code == 409
    strict.validate(cancel, "patch", response)
    response = api_client.patch("/jobs/987654321/", {"status": "CANCELED"}, format="json",
                                HTTP_AUTHORIZATION=f"Token {tokens[operator]}")
    strict.validate(cancel, "patch", response)

    settings.AXES_FAILURE_LIMIT = 1  # now this client is locked out
    for accept in ("application/json", "*/*"):
        response = api_client.get("/jobs/", HTTP_AUTHORIZATION="Token bad", HTTP_ACCEPT=accept)
        assert response.status_code == 429
        strict.validate("/jobs/", "get", response)

    get_operations = {(path, "get") for path, method, _ in operations(schema) if method == "get"}
    assert {(path, method) for path, method, code, _ in strict.checked if code == "200"} == (
        get_operations | {(cancel, "patch")}
    )
    assert {(code, media) for _, _, code, media in strict.checked} == {
        ("200", "application/json"),
        ("406", "text/plain"),  # whatever Accept asked for, it is not JSON
        *((code, media) for code in ("400", "401", "403", "404", "409", "429")
          for media in ("application/json", "text/plain")),
    }
