from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from error.models import Error
from job.models import Job, JobType, JobTypeRevision
from tests import factories

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("error", "trigger", "storage", "job", "job_exe", "recipe")


def test_job_type_name_and_version_are_unique_together():
    factories.JobTypeFactory(name="ingest", version="1.0")
    factories.JobTypeFactory(name="ingest", version="2.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        JobType.objects.create(name="ingest", version="1.0")


def test_job_type_revision_numbers_are_unique_per_job_type():
    revision = factories.JobTypeRevisionFactory(revision_num=1)
    factories.JobTypeRevisionFactory(revision_num=1)  # another job type: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        JobTypeRevision.objects.create(job_type=revision.job_type, revision_num=1)


def test_error_names_are_unique():
    factories.ErrorFactory(name="timeout")
    with pytest.raises(IntegrityError), transaction.atomic():
        Error.objects.create(name="timeout", category=Error.Category.SYSTEM)


@pytest.mark.parametrize(
    "referenced", ["job_type", "job_type_rev", "event", "error"], ids=lambda name: name
)
def test_deleting_what_a_job_references_is_refused(referenced):
    job = factories.JobFactory(error=factories.ErrorFactory())
    with pytest.raises(ProtectedError):
        getattr(job, referenced).delete()
    assert Job.objects.filter(pk=job.pk).exists()


def test_deleting_a_job_with_executions_is_refused():
    execution = factories.JobExecutionFactory()
    with pytest.raises(ProtectedError):
        execution.job.delete()


def test_every_save_of_a_job_moves_last_modified():
    job = factories.JobFactory()
    long_ago = timezone.now() - timedelta(days=3)
    Job.objects.filter(pk=job.pk).update(last_modified=long_ago)
    job.refresh_from_db()
    job.priority = 5
    job.save(update_fields=["priority", "last_modified"])
    job.refresh_from_db()
    assert job.last_modified > long_ago + timedelta(days=2)


@pytest.mark.parametrize(
    "model",
    [m for name in PROJECT_APPS for m in apps.get_app_config(name).get_models()],
    ids=lambda m: m._meta.label,
)
def test_default_ordering_ends_in_a_unique_column(model):
    last = model._meta.ordering[-1].lstrip("-")
    field = model._meta.get_field("id" if last in {"pk", "id"} else last)
    assert field.unique, f"{model._meta.label} ordering {model._meta.ordering} is not total"


def test_every_model_of_the_data_model_exists_with_its_fields():
    expected = {
        "error.Error": "name title description category created last_modified",
        "trigger.TriggerRule": "type name configuration is_active created archived last_modified",
        "trigger.TriggerEvent": "type rule description occurred",
        "storage.Workspace": "name title description base_url is_active created archived "
        "last_modified",
        "storage.ScaleFile": "workspace file_name file_path media_type file_size data_type "
        "is_deleted uuid created deleted data_started data_ended geometry center_point "
        "meta_data last_modified job_type job job_exe is_operational is_published published "
        "unpublished",
        "job.JobType": "name version title description category author_name author_url "
        "is_system is_long_running is_active is_operational is_paused icon_code uses_docker "
        "docker_privileged docker_image priority timeout max_tries cpus_required mem_required "
        "disk_out_const_required disk_out_mult_required interface revision_num created "
        "archived paused last_modified",
        "job.JobTypeRevision": "job_type revision_num interface created",
        "job.Job": "job_type job_type_rev event error status priority num_exes timeout "
        "max_tries cpus_required mem_required disk_in_required disk_out_required data results "
        "created queued started ended last_status_change last_modified",
        "job.JobInputFile": "job input_file job_input",
        "job_exe.Node": "hostname port slave_id is_paused is_active created last_modified",
        "job_exe.JobExecution": "job status error node command_arguments timeout pre_started "
        "pre_completed pre_exit_code job_started job_completed job_exit_code post_started "
        "post_completed post_exit_code created queued started ended last_modified stdout stderr",
        "recipe.RecipeType": "name version title description definition created last_modified",
        "recipe.Recipe": "recipe_type event data created completed last_modified",
        "recipe.RecipeJob": "recipe job job_name",
    }
    for label, fields in expected.items():
        model = apps.get_model(label)
        names = {f.name for f in model._meta.get_fields() if f.concrete}
        assert set(fields.split()) <= names, (label, set(fields.split()) - names)
