"""PostgreSQL's rendering of every shape equals plain DRF's, over demo data of every status.

Plain DRF on model instances is the oracle: the same serializer classes, rendered by DRF's
own ``to_representation`` (``rows`` and all), encoded as the API encodes them. Compared
parsed, with key order and each value's JSON type (a float stays ``1.0``).
"""

from datetime import timedelta
from io import StringIO

import orjson
import pytest
from django.core.management import call_command
from django.utils import timezone

from error.models import Error
from error.serializers import ErrorDetailsSerializer
from job import selectors
from job.models import Job, JobType
from job.serializers import (
    JobDetailsSerializer,
    JobSerializer,
    JobTypeDetailsSerializer,
    JobTypeListSerializer,
    JobUpdateSerializer,
    JobWithLatestExecutionSerializer,
)
from job_exe.models import JobExecution, Node
from job_exe.serializers import (
    JobExecutionDetailsSerializer,
    JobExecutionListSerializer,
    NodeDetailsSerializer,
    NodeListSerializer,
    node_status_serializer,
)
from recipe.endpoint_serializers import (
    RecipeDetailsSerializer,
    RecipeListSerializer,
    RecipeTypeDetailsSerializer,
    RecipeTypeListSerializer,
)
from recipe.models import Recipe, RecipeType
from scale.api.rendering import RENDERED, json_array, page_rows
from storage.models import ScaleFile
from storage.serializers import ProductFileSerializer, ScaleFileSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def json_page(queryset, serializer_class, ids):
    """The rows of these ids as the list pipeline renders them, in the order of ``ids``."""
    rows = page_rows(queryset, serializer_class).filter(pk__in=ids)
    texts = dict(rows.values_list("pk", RENDERED))
    return json_array(texts[pk] for pk in ids)


def typed(value):
    """A value with its JSON types and key order made comparable."""
    if isinstance(value, dict):
        return ("object", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [typed(item) for item in value])
    return (type(value).__name__, value)


def as_api_json(data):
    return typed(orjson.loads(orjson.dumps(data)))


@pytest.fixture
def demo(rich_job):
    call_command("generate_demo_data", jobs=150, seed=3, stdout=StringIO(), stderr=StringIO())
    statuses = set(Job.objects.values_list("status", flat=True))
    assert statuses == set(Job.Status.values)
    return list(Job.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize(
    "serializer_class", [JobSerializer, JobUpdateSerializer, JobWithLatestExecutionSerializer]
)
def test_list_rows_equal_plain_drf(demo, serializer_class):
    jobs = Job.objects.filter(pk__in=demo).order_by("id").select_related(
        "job_type", "job_type_rev", "event", "error"
    )
    plain = serializer_class(jobs, many=True).data

    rendered = orjson.loads(orjson.dumps(json_page(Job.objects.all(), serializer_class, demo)))

    assert len(rendered) == len(demo)
    assert typed(rendered) == as_api_json(plain)


def test_details_equal_plain_drf(demo):
    jobs = Job.objects.filter(pk__in=demo).select_related(
        "job_type", "job_type_rev", "event__rule", "error"
    )
    for job in jobs:
        rendered = orjson.loads(orjson.dumps(selectors.job_details(job_id=job.pk)))
        assert typed(rendered) == as_api_json(JobDetailsSerializer(job).data), job.pk


@pytest.mark.parametrize("serializer_class", [ScaleFileSerializer, ProductFileSerializer])
def test_files_equal_plain_drf(demo, serializer_class):
    ids = list(ScaleFile.objects.order_by("id").values_list("id", flat=True))
    files = ScaleFile.objects.filter(pk__in=ids).order_by("id").select_related("workspace")

    rendered = orjson.loads(orjson.dumps(json_page(ScaleFile.objects.all(), serializer_class, ids)))

    assert typed(rendered) == as_api_json(serializer_class(files, many=True).data)


def test_floats_keep_their_json_type_at_every_magnitude(rich_job):
    values = [0.0, -0.0, 1.0, 2.5, -3.0, 1e-7, 123456789012345.0, 1e15, 1e16, 1.5e300]
    ids = []
    for value in values:
        Job.objects.filter(pk=rich_job.pk).update(cpus_required=value)
        row = orjson.loads(orjson.dumps(json_page(Job.objects.all(), JobSerializer, [rich_job.pk])))
        ids.append((value, row[0]["cpus_required"]))
    for value, rendered in ids:
        assert type(rendered) is float and rendered == value, (value, rendered)


def test_job_type_shapes_equal_plain_drf(demo):
    mapped = JobType.objects.order_by("id").first()
    errors = [factories.ErrorFactory(name=f"mapped-{n}") for n in range(2)]
    exit_codes = {"1": errors[1].name, "2": errors[0].name}
    mapped.error_mapping = {"version": "1.0", "exit_codes": exit_codes}
    mapped.trigger_rule = factories.TriggerRuleFactory()
    mapped.save()
    ids = list(JobType.objects.order_by("id").values_list("id", flat=True))
    for serializer_class in (JobTypeListSerializer, JobTypeDetailsSerializer):
        types = JobType.objects.filter(pk__in=ids).order_by("id").select_related("trigger_rule")
        plain = serializer_class(types, many=True).data
        page = json_page(JobType.objects.all(), serializer_class, ids)
        rendered = orjson.loads(orjson.dumps(page))
        assert typed(rendered) == as_api_json(plain)
    details = next(row for row in rendered if row["id"] == mapped.pk)
    assert [error["name"] for error in details["errors"]] == ["mapped-0", "mapped-1"]
    # The demo's recent jobs are counted (their statuses changed in the last day).
    assert sum(count["count"] for row in rendered for count in row["job_counts_24h"]) > 0


@pytest.mark.parametrize(
    "serializer_class", [JobExecutionListSerializer, JobExecutionDetailsSerializer]
)
def test_job_execution_shapes_equal_plain_drf(demo, serializer_class):
    ids = list(JobExecution.objects.order_by("id").values_list("id", flat=True))
    executions = JobExecution.objects.filter(pk__in=ids).order_by("id").select_related(
        "job__job_type", "job__error", "node", "error"
    )
    plain = serializer_class(executions, many=True).data
    rendered = orjson.loads(
        orjson.dumps(json_page(JobExecution.objects.all(), serializer_class, ids))
    )
    assert {row["status"] for row in rendered} == set(JobExecution.Status.values)
    assert typed(rendered) == as_api_json(plain)


def _rendered_equals_plain(model, serializer_class, ids, instances) -> list:
    rendered = orjson.loads(orjson.dumps(json_page(model.objects.all(), serializer_class, ids)))
    assert typed(rendered) == as_api_json(serializer_class(instances, many=True).data)
    return rendered


def test_error_shape_equals_plain_drf(demo):
    ids = list(Error.objects.order_by("id").values_list("id", flat=True))
    rendered = _rendered_equals_plain(
        Error, ErrorDetailsSerializer, ids, Error.objects.order_by("id")
    )
    assert len(rendered) > 5


def test_recipe_type_shapes_equal_plain_drf(demo):
    ids = list(RecipeType.objects.order_by("id").values_list("id", flat=True))
    first = RecipeType.objects.get(pk=ids[0])
    first.trigger_rule = factories.TriggerRuleFactory()
    first.save()
    for serializer_class in (RecipeTypeListSerializer, RecipeTypeDetailsSerializer):
        types = RecipeType.objects.order_by("id").select_related("trigger_rule")
        rendered = _rendered_equals_plain(RecipeType, serializer_class, ids, types)
    # Each definition's job types, and the demo's definitions name some.
    for row in rendered:
        named = {(job["job_type"]["name"], job["job_type"]["version"])
                 for job in row["definition"].get("jobs", [])}
        assert {(t["name"], t["version"]) for t in row["job_types"]} == named, row["name"]
    assert sum(bool(row["job_types"]) for row in rendered) >= 3


@pytest.mark.parametrize("serializer_class", [RecipeListSerializer, RecipeDetailsSerializer])
def test_recipe_shapes_equal_plain_drf(demo, serializer_class):
    ids = list(Recipe.objects.order_by("id").values_list("id", flat=True))
    recipes = Recipe.objects.order_by("id").select_related(
        "recipe_type__trigger_rule", "event__rule"
    )
    rendered = _rendered_equals_plain(Recipe, serializer_class, ids, recipes)
    assert rendered
    if serializer_class is RecipeDetailsSerializer:
        assert any(row["input_files"] for row in rendered)
        assert all(row["jobs"] for row in rendered)


def test_node_shapes_equal_plain_drf(demo):
    ids = list(Node.objects.order_by("id").values_list("id", flat=True))
    # Two nodes that workers keep alive: one's keep-alive lasts, the other's lapsed.
    now = timezone.now()
    Node.objects.filter(pk=ids[0]).update(alive_until=now + timedelta(hours=1))
    Node.objects.filter(pk=ids[1]).update(alive_until=now - timedelta(hours=1))
    for serializer_class in (NodeListSerializer, NodeDetailsSerializer):
        rendered = _rendered_equals_plain(Node, serializer_class, ids, Node.objects.order_by("id"))
    assert any(row["job_exes_running"] for row in rendered)
    assert any(row["resources"]["scheduled"]["cpus"] > 0 for row in rendered)
    assert {row["disconnected"] for row in rendered} == {True, False}
    window = node_status_serializer(started=timezone.now() - timedelta(days=30), ended=None)
    rendered = _rendered_equals_plain(Node, window, ids, Node.objects.order_by("id"))
    assert any(row["job_exe_counts"] for row in rendered)
    assert [row["is_online"] for row in rendered][:2] == [True, False]
