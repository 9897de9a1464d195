"""factory_boy factories for every model, coherent by default (a job's revision belongs
to its job type, its timestamps are ordered)."""

from datetime import timedelta

import factory
from django.utils import timezone

from error.models import Error
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job_exe.models import JobExecution, Node
from recipe.models import Recipe, RecipeJob, RecipeType
from storage.models import ScaleFile, Workspace
from trigger.models import TriggerEvent, TriggerRule

INTERFACE = {
    "version": "1.0",
    "command": "/app/run.sh",
    "command_arguments": "${input_file} ${job_output_dir}",
    "input_data": [{"name": "input_file", "type": "file"}],
    "output_data": [{"name": "output_file", "type": "file", "media_type": "text/plain"}],
}


class ErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Error

    name = factory.Sequence(lambda n: f"error-{n}")
    title = factory.Sequence(lambda n: f"Error {n}")
    description = "Something went wrong"
    category = Error.Category.SYSTEM


class TriggerRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerRule

    type = "PARSE"
    name = factory.Sequence(lambda n: f"rule-{n}")
    configuration = factory.LazyFunction(lambda: {"version": "1.0"})


class TriggerEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerEvent

    type = "PARSE"
    rule = factory.SubFactory(TriggerRuleFactory)
    description = factory.LazyFunction(dict)
    occurred = factory.LazyFunction(timezone.now)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"workspace-{n}")
    title = factory.Sequence(lambda n: f"Workspace {n}")
    base_url = "http://files.example.com/ws"


class ScaleFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScaleFile

    workspace = factory.SubFactory(WorkspaceFactory)
    file_name = factory.Sequence(lambda n: f"file-{n}.txt")
    file_path = factory.LazyAttribute(lambda o: f"path/to/{o.file_name}")
    media_type = "text/plain"
    file_size = 1234
    data_type = ""
    uuid = factory.Sequence(lambda n: f"{n:032x}")
    meta_data = factory.LazyFunction(dict)


class JobTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobType

    name = factory.Sequence(lambda n: f"job-type-{n}")
    version = "1.0"
    title = factory.Sequence(lambda n: f"Job Type {n}")
    description = "Does things"
    category = "test"
    icon_code = "f013"
    docker_image = "scale/test:1.0"
    interface = factory.LazyFunction(lambda: dict(INTERFACE))


class JobTypeRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobTypeRevision

    job_type = factory.SubFactory(JobTypeFactory)
    revision_num = factory.Sequence(lambda n: n + 1)
    interface = factory.LazyAttribute(lambda o: o.job_type.interface)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    job_type = factory.SubFactory(JobTypeFactory)
    job_type_rev = factory.SubFactory(
        JobTypeRevisionFactory, job_type=factory.SelfAttribute("..job_type")
    )
    event = factory.SubFactory(TriggerEventFactory)
    status = Job.Status.QUEUED
    priority = 100
    timeout = 1800
    max_tries = 3
    cpus_required = 1.0
    mem_required = 64.0
    disk_in_required = 0.0
    disk_out_required = 64.0
    data = factory.LazyFunction(lambda: {"version": "1.0", "input_data": [], "output_data": []})
    queued = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    last_status_change = factory.LazyAttribute(lambda o: o.queued)


class JobInputFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobInputFile

    job = factory.SubFactory(JobFactory)
    input_file = factory.SubFactory(ScaleFileFactory)
    job_input = "input_file"


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Node

    hostname = factory.Sequence(lambda n: f"node-{n}.cluster")
    port = 5051
    slave_id = factory.Sequence(lambda n: f"slave-{n}")


class JobExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobExecution

    job = factory.SubFactory(JobFactory)
    status = JobExecution.Status.RUNNING
    node = factory.SubFactory(NodeFactory)
    command_arguments = "${input_file} ${job_output_dir}"
    timeout = 1800
    queued = factory.LazyFunction(timezone.now)
    started = factory.LazyFunction(timezone.now)


class RecipeTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecipeType

    name = factory.Sequence(lambda n: f"recipe-type-{n}")
    version = "1.0.0"
    title = factory.Sequence(lambda n: f"Recipe Type {n}")
    description = "Runs jobs together"
    definition = factory.LazyFunction(lambda: {"version": "1.0", "jobs": []})


class RecipeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipe

    recipe_type = factory.SubFactory(RecipeTypeFactory)
    event = factory.SubFactory(TriggerEventFactory)
    data = factory.LazyFunction(lambda: {"version": "1.0", "input_data": []})


class RecipeJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecipeJob

    recipe = factory.SubFactory(RecipeFactory)
    job = factory.SubFactory(JobFactory)
    job_name = "step"
