"""The job shapes of the contract: list rows (brief nested objects) and details (full)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from error.serializers import ErrorBriefSerializer, ErrorSerializer
from job.interfaces import (
    data_inputs,
    declared_inputs,
    declared_outputs,
    merge_with_interface,
    result_outputs,
)
from job.models import Job, JobType, JobTypeRevision
from job_exe.serializers import JobExecutionSerializer
from recipe.serializers import RecipeSerializer
from scale.api.serializers import IdObjectField, ScaleModelSerializer
from storage.serializers import ProductFileSerializer, ScaleFileSerializer
from trigger.serializers import TriggerEventBriefSerializer, TriggerEventSerializer

JOB_TYPE_BRIEF_FIELDS = (
    "id",
    "name",
    "version",
    "title",
    "description",
    "category",
    "author_name",
    "author_url",
    "is_system",
    "is_long_running",
    "is_active",
    "is_operational",
    "is_paused",
    "icon_code",
)
JOB_TYPE_FIELDS = (
    *JOB_TYPE_BRIEF_FIELDS,
    "uses_docker",
    "docker_privileged",
    "docker_image",
    "priority",
    "timeout",
    "max_tries",
    "cpus_required",
    "mem_required",
    "disk_out_const_required",
    "disk_out_mult_required",
    "created",
    "archived",
    "paused",
    "last_modified",
)
JOB_SCALAR_FIELDS = (
    "status",
    "priority",
    "num_exes",
    "timeout",
    "max_tries",
    "cpus_required",
    "mem_required",
    "disk_in_required",
    "disk_out_required",
    "created",
    "queued",
    "started",
    "ended",
    "last_status_change",
    "last_modified",
)
JOB_ROW_FIELDS = ("id", "job_type", "job_type_rev", "event", "error", *JOB_SCALAR_FIELDS)


@extend_schema_field(
    {
        "nullable": True,
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "object", "additionalProperties": True},
            {"type": "array", "items": {}},
        ],
        "description": "A property's value as the job data gives it; for a file, its file "
        "object (null when absent); for files, a list of file objects.",
    }
)
class InterfaceValueField(serializers.JSONField):
    """Any JSON value, null included: only the schema of ``JobInterfaceValueSerializer``."""


class JobInterfaceValueSerializer(serializers.Serializer):
    """One entry of ``inputs``/``outputs`` (``job.interfaces.merge_with_interface``).

    Describes the shape for the OpenAPI schema; the entries are built as plain dicts.
    """

    name = serializers.CharField(help_text="The name the job type interface declares.")
    type = serializers.CharField(
        allow_null=True, help_text="The type the interface declares: property, file or files."
    )
    value = InterfaceValueField()


class JobTypeBriefSerializer(ScaleModelSerializer):
    class Meta:
        model = JobType
        fields = JOB_TYPE_BRIEF_FIELDS


class JobTypeSerializer(ScaleModelSerializer):
    class Meta:
        model = JobType
        fields = JOB_TYPE_FIELDS


class JobTypeRevisionBriefSerializer(ScaleModelSerializer):
    job_type = IdObjectField(source="job_type_id")

    class Meta:
        model = JobTypeRevision
        fields = ("id", "job_type", "revision_num")


class JobTypeRevisionSerializer(ScaleModelSerializer):
    job_type = IdObjectField(source="job_type_id")

    class Meta:
        model = JobTypeRevision
        fields = ("id", "job_type", "revision_num", "interface", "created")


class JobSerializer(ScaleModelSerializer):
    """A row of ``/jobs/``: a row of ``selectors.job_page`` (the model's attribute names,
    plain values) or a Job with those relations loaded."""

    job_type = JobTypeBriefSerializer(read_only=True)
    job_type_rev = JobTypeRevisionBriefSerializer(read_only=True)
    event = TriggerEventBriefSerializer(read_only=True)
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = JOB_ROW_FIELDS


class JobUpdateSerializer(JobSerializer):
    """A row of ``/jobs/updates/``: the job and the files it used as input."""

    input_files = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = (*JOB_ROW_FIELDS, "input_files")

    @extend_schema_field(ScaleFileSerializer(many=True))
    def get_input_files(self, job) -> list[dict]:
        return self.render(ScaleFileSerializer, job.input_files)  # job_update_page


class JobWithLatestExecutionSerializer(JobSerializer):
    """A row of ``/jobs/executions/``: the job and its newest execution (or null)."""

    latest_job_exe = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = (*JOB_ROW_FIELDS, "latest_job_exe")

    @extend_schema_field(JobExecutionSerializer(allow_null=True))
    def get_latest_job_exe(self, job) -> dict | None:
        latest = job.latest_job_exe  # job_execution_page
        return None if latest is None else self.render(JobExecutionSerializer, latest)


class JobDetailsSerializer(ScaleModelSerializer):
    """``/jobs/{id}/``: full nested objects, executions, recipes, inputs and outputs.

    Renders what ``job.selectors.job_details_get`` loads: plain objects with the models'
    attribute names, the executions and recipes on the job. The files that inputs and
    outputs show come from the ``files`` context entry (id → plain file with its
    workspace), loaded by ``job.selectors.job_files`` in one query.
    """

    job_type = JobTypeSerializer(read_only=True)
    job_type_rev = JobTypeRevisionSerializer(read_only=True)
    event = TriggerEventSerializer(read_only=True)
    error = ErrorSerializer(read_only=True, allow_null=True)
    recipes = serializers.SerializerMethodField()
    job_exes = JobExecutionSerializer(
        many=True, read_only=True, source="job_exes_newest_first"
    )
    inputs = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = (
            *JOB_ROW_FIELDS,
            "data",
            "results",
            "recipes",
            "job_exes",
            "inputs",
            "outputs",
        )

    @extend_schema_field(RecipeSerializer(many=True))
    def get_recipes(self, job) -> list[dict]:
        return self.render(RecipeSerializer, job.recipes_oldest_first)

    @extend_schema_field(JobInterfaceValueSerializer(many=True))
    def get_inputs(self, job) -> list[dict]:
        return merge_with_interface(
            declared=declared_inputs(job.job_type_rev.interface),
            values=data_inputs(job.data),
            files=self.context["files"],
            render_file=lambda f: self.render(ScaleFileSerializer, f),
        )

    @extend_schema_field(JobInterfaceValueSerializer(many=True))
    def get_outputs(self, job) -> list[dict]:
        return merge_with_interface(
            declared=declared_outputs(job.job_type_rev.interface),
            values=result_outputs(job.results),
            files=self.context["files"],
            render_file=lambda f: self.render(ProductFileSerializer, f),
        )


class JobCancelRequestSerializer(serializers.Serializer):
    """The body of ``PATCH /jobs/{id}/``: ``{"status": "CANCELED"}`` and nothing else."""

    ALLOWED_STATUSES = (Job.Status.CANCELED,)

    status = serializers.CharField()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self._refuse('the body must be a JSON object such as {"status": "CANCELED"}.')
        unexpected = sorted(set(data) - set(self.fields))
        if unexpected:
            self._refuse(f"unexpected fields: {', '.join(unexpected)}; only status may be given.")
        if not data:
            self._refuse('no fields were given; send {"status": "CANCELED"}.')
        return super().to_internal_value(data)

    @staticmethod
    def _refuse(message: str) -> None:
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})

    def validate_status(self, value: str) -> str:
        if value not in self.ALLOWED_STATUSES:
            raise serializers.ValidationError(f"only CANCELED is allowed, not {value!r}.")
        return value


class JobCancelRequestSchema(OpenApiSerializerExtension):
    """The OpenAPI schema of the cancel body as the serializer enforces it: status is
    required, one of ``ALLOWED_STATUSES``, and no other field is accepted."""

    target_class = JobCancelRequestSerializer

    def get_name(self, auto_schema, direction) -> str:
        return "JobCancel"

    def map_serializer(self, auto_schema, direction) -> dict:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        allowed = [str(status) for status in JobCancelRequestSerializer.ALLOWED_STATUSES]
        schema["properties"]["status"] = {"type": "string", "enum": allowed}
        schema["additionalProperties"] = False
        return schema
