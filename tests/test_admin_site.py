"""Every model of the project has an admin whose pages render, and whose lists of big
tables cost the same number of queries for one row as for many."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scale.admin_kit import LargeTableAdmin
from tests import factories

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("error", "trigger", "storage", "job", "job_exe", "recipe")
PROJECT_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model._meta.label,
)
BIG_TABLES = [m for m in PROJECT_MODELS if isinstance(admin.site._registry[m], LargeTableAdmin)]


def make_world() -> None:
    """One of everything, linked as the scheduler links them."""
    execution = factories.JobExecutionFactory(error=factories.ErrorFactory())
    job = execution.job
    factories.ScaleFileFactory(job_type=job.job_type, job=job, job_exe=execution)
    factories.JobInputFileFactory(job=job)
    factories.RecipeJobFactory(job=job, recipe__event=job.event)
    # A job that ended: the day counts of the metrics count it.
    factories.JobFactory(status="COMPLETED", ended=timezone.now())
    # An execution that completed: the metrics' day times measure it.
    factories.JobExecutionFactory(status="COMPLETED", ended=timezone.now())


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_project_has_an_admin():
    from django.apps import apps

    models = {
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }
    assert models == set(PROJECT_MODELS)
    assert [m._meta.label for m in BIG_TABLES] == [
        "job.Job",
        "job.JobInputFile",
        "job_exe.JobExecution",
        "recipe.Recipe",
        "recipe.RecipeJob",
        "storage.ScaleFile",
        "trigger.TriggerEvent",
    ]


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)
def test_list_change_and_add_pages_render(admin_client, model):
    make_world()
    obj = model._default_manager.order_by("pk").first()
    model_admin = admin.site._registry[model]

    listed = admin_client.get(url(model, "changelist"))
    changed = admin_client.get(url(model, "change", obj.pk))

    assert (listed.status_code, changed.status_code) == (200, 200)
    assert listed.context["cl"].result_count == model._default_manager.count()
    if model_admin.has_add_permission(listed.wsgi_request):
        assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", BIG_TABLES, ids=lambda m: m._meta.label)
def test_big_table_lists_cost_the_same_queries_for_one_row_and_for_many(admin_client, model):
    make_world()
    with CaptureQueriesContext(connection) as one:
        first = admin_client.get(url(model, "changelist"))
    for _ in range(5):
        make_world()
    with CaptureQueriesContext(connection) as many:
        more = admin_client.get(url(model, "changelist"))

    assert len(more.context["cl"].result_list) > len(first.context["cl"].result_list)
    assert len(one.captured_queries) == len(many.captured_queries)
    assert not any(
        "COUNT(*)" in q["sql"] and "LIMIT" not in q["sql"] for q in many.captured_queries
    )


@pytest.mark.parametrize("model", BIG_TABLES, ids=lambda m: m._meta.label)
def test_big_table_search_by_id_uses_the_id_itself(admin_client, model):
    make_world()
    obj = model._default_manager.order_by("pk").first()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url(model, "changelist"), {"q": str(obj.pk)})
    assert obj.pk in [row.pk for row in response.context["cl"].result_list]
    assert not any("::text" in q["sql"] for q in queries.captured_queries)
