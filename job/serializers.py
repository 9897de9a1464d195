"""The job shapes of the contract: list rows (brief nested objects) and details (full)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.db.models import (
    CharField,
    Count,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from error.models import Error
from error.serializers import ErrorBriefSerializer, ErrorSerializer
from job.interfaces import job_inputs, job_outputs, referenced_file_ids
from job.models import Job, JobCount, JobStatusTimeCount, JobType, JobTypeRevision
from job_exe.models import JobExecution
from recipe.models import Recipe
from recipe.serializers import RecipeSerializer
from scale.api.fields import UtcMillisecondDateTimeField
from scale.api.filters import PG_BIGINT_MAX, DateTimeOrDurationField
from scale.api.pagination import SubqueryCount
from scale.api.serializers import (
    IdObjectField,
    RowsSerializer,
    ScaleSerializer,
    one_level_deeper,
)
from scale.counters import BucketStart, buckets_from
from storage.models import ScaleFile
from storage.serializers import ProductFileSerializer, ScaleFileSerializer
from trigger.serializers import (
    TriggerEventBriefSerializer,
    TriggerEventSerializer,
    TriggerRuleSerializer,
)

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
    """One input or output of a job: its name and type from the job type's interface, and
    its value from the job's data or results.

    Describes the shape for the OpenAPI schema; the entries are built as plain dicts.

    Made by ``job.interfaces.job_inputs`` and ``job_outputs``.
    """

    name = serializers.CharField(help_text="The name the job type interface declares.")
    type = serializers.CharField(
        allow_null=True, help_text="The type the interface declares: property, file or files."
    )
    value = InterfaceValueField()


class JobTypeBriefSerializer(ScaleSerializer):
    """A job type in brief, as job rows show it."""

    class Meta:
        model = JobType
        fields = JOB_TYPE_BRIEF_FIELDS


class JobTypeSerializer(ScaleSerializer):
    """A job type in full, as a job's details show it."""

    class Meta:
        model = JobType
        fields = JOB_TYPE_FIELDS


JOB_TYPE_ROW_FIELDS = (
    *JOB_TYPE_BRIEF_FIELDS,
    "uses_docker",
    "docker_privileged",
    "docker_image",
    "revision_num",
    "priority",
    "timeout",
    "max_scheduled",
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


class JobTypeListSerializer(ScaleSerializer):
    """A job type (a row of Job Type List)."""

    class Meta:
        model = JobType
        fields = JOB_TYPE_ROW_FIELDS


def mapped_errors(job_type) -> QuerySet[Error]:
    """The errors a job type's error mapping names (its ``exit_codes`` values), by name."""
    names = JobType.objects.filter(pk=one_level_deeper(job_type)).values(
        error_name=Func(
            F("error_mapping"),
            template="jsonb_path_query(%(expressions)s, '$.exit_codes.*') #>> '{}'",
            output_field=CharField(),
        )
    )
    return Error.objects.filter(name__in=Subquery(names)).order_by("name", "id")


class GroupSubquery(Subquery):
    """A sub-select of each group of an aggregate query that refers to nothing but the
    columns the rows are grouped by: one value per group, as an aggregate's, so nothing
    more to group by and run once per group (Django groups by a plain ``Subquery``
    annotation, and PostgreSQL then runs it for every row)."""

    @property
    def contains_aggregate(self) -> bool:
        return True

    def get_group_by_cols(self):
        return []


MINUTE = timedelta(minutes=1)  # job_status_time_count's narrowest bucket
KEY_CATEGORY = Coalesce("error__category", Value(""))  # a category to compare: none is ""


def status_counts(hours: int):
    """The rows of ``job_counts_<hours>h``: a job type's jobs whose status changed in the
    last ``hours`` hours, by status (and error category for FAILED ones), and the newest
    such change of each.

    Summed from ``job_status_time_count``, so that they cost the same on any number of
    jobs: the type's whole buckets from the minute the window starts in, less the type's
    jobs of that minute that changed before the window. The newest change is read from
    the type's jobs of the newest minute in which that status (and category) has any.
    """

    def rows(job_type):
        since = Now() - Value(timedelta(hours=hours))  # the database's clock: see rendered()
        first_minute = BucketStart(since, MINUTE.seconds)
        inner = one_level_deeper(job_type)

        def of_the_group(rows: QuerySet, *, group=OuterRef, category=KEY_CATEGORY) -> QuerySet:
            """``rows`` of the group's status and error category (or none); ``group``
            reaches the group's columns from ``rows``."""
            return rows.alias(key_category=category).filter(
                status=group("status"), key_category=group("key_category")
            )

        # Within the sub-select of the group's newest jobs below, two levels deeper.
        newest_minute = Subquery(
            of_the_group(
                JobStatusTimeCount.objects.filter(
                    job_type=one_level_deeper(inner), width=MINUTE.seconds,
                    bucket__gte=first_minute,
                ),
                group=lambda name: OuterRef(OuterRef(name)),
                # Looked up row by row, not joined: PostgreSQL then reads the minutes
                # newest first off the index, and stops at the first with jobs.
                category=Coalesce(
                    Subquery(Error.objects.filter(pk=OuterRef("error_id")).values("category")),
                    Value(""),
                ),
            )
            .values("bucket")
            .annotate(jobs=Sum("count"))
            .filter(jobs__gt=0)
            .order_by("-bucket")
            .values("bucket")[:1]
        )
        jobs = of_the_group(Job.objects.filter(job_type=inner).order_by())
        earlier = jobs.filter(last_status_change__gte=first_minute, last_status_change__lt=since)
        newest = (
            # The group's newest job is within that minute (and the window): at most a
            # minute of the type's jobs is read, whatever plan PostgreSQL takes.
            jobs.filter(
                last_status_change__gte=Greatest(since, newest_minute),
                last_status_change__lt=newest_minute + Value(MINUTE),
            )
            .order_by("-last_status_change")
            .values("last_status_change")[:1]
        )
        return (
            JobStatusTimeCount.objects.filter(job_type=job_type)
            .filter(buckets_from(first_minute, JobStatusTimeCount.WIDTHS))
            .alias(key_category=KEY_CATEGORY)
            .values("status", "error__category")
            .annotate(
                count=Sum("count") - SubqueryCount(earlier.values("pk")),
                most_recent=GroupSubquery(newest),
            )
            .filter(count__gt=0)
            .order_by("status", "error__category")
        )

    return rows


class JobStatusCountSerializer(RowsSerializer):
    """The number of a job type's jobs of one status (and error category, for FAILED ones),
    and when one was last in that status."""

    status = serializers.ChoiceField(choices=Job.Status.choices, help_text="The jobs' status.")
    count = serializers.IntegerField(help_text="The number of jobs with that status.")
    most_recent = UtcMillisecondDateTimeField(
        help_text="When a job was last in that status."
    )
    category = serializers.ChoiceField(
        source="error__category",
        choices=Error.Category.choices,
        allow_null=True,
        help_text="The category of the jobs' error, for FAILED jobs; null otherwise.",
    )


class JobTypeDetailsSerializer(ScaleSerializer):
    """A job type in full (Job Type Details): its interface, error mapping, trigger rule,
    the errors its mapping names, and its jobs' counts by status over the last 6, 12 and 24
    hours."""

    trigger_rule = TriggerRuleSerializer(read_only=True, allow_null=True)
    errors = ErrorSerializer(many=True, read_only=True, rows=mapped_errors)
    job_counts_6h = JobStatusCountSerializer(many=True, read_only=True, rows=status_counts(6))
    job_counts_12h = JobStatusCountSerializer(many=True, read_only=True, rows=status_counts(12))
    job_counts_24h = JobStatusCountSerializer(many=True, read_only=True, rows=status_counts(24))

    class Meta:
        model = JobType
        fields = (
            *JOB_TYPE_ROW_FIELDS,
            "interface",
            "error_mapping",
            "trigger_rule",
            "errors",
            "job_counts_6h",
            "job_counts_12h",
            "job_counts_24h",
        )


class JobTypeRevisionBriefSerializer(ScaleSerializer):
    """A job type revision in brief: its job type by id and its revision number."""

    job_type = IdObjectField(source="job_type_id")

    class Meta:
        model = JobTypeRevision
        fields = ("id", "job_type", "revision_num")


class JobTypeRevisionSerializer(ScaleSerializer):
    """A job type revision: the job type's interface at the time a job was scheduled."""

    job_type = IdObjectField(source="job_type_id")

    class Meta:
        model = JobTypeRevision
        fields = ("id", "job_type", "revision_num", "interface", "created")


# An execution's own columns in its shapes: PostgreSQL renders what the serializer
# declares (scale.api.rendering), so never stdout/stderr.
JOB_EXE_FIELDS = (
    "id",
    "status",
    "command_arguments",
    "timeout",
    "pre_started",
    "pre_completed",
    "pre_exit_code",
    "job_started",
    "job_completed",
    "job_exit_code",
    "post_started",
    "post_completed",
    "post_exit_code",
    "created",
    "queued",
    "started",
    "ended",
    "last_modified",
)

class JobExecutionSerializer(ScaleSerializer):
    """An execution as a job shows it: its job, node and error by id."""

    job = IdObjectField(source="job_id")
    node = IdObjectField(source="node_id", allow_null=True)
    error = IdObjectField(source="error_id", allow_null=True)

    class Meta:
        model = JobExecution
        fields = (*JOB_EXE_FIELDS, "job", "node", "error")


def newest_executions(job) -> QuerySet[JobExecution]:
    """A job's executions, newest first (greatest created, then id)."""
    return JobExecution.objects.filter(job=job).order_by("-created", "-id")


def input_files(job) -> QuerySet[ScaleFile]:
    """The files a job used as input, in the order they were linked (each once: a job
    links a file once, ``job_input_file_job_file_uniq``)."""
    return ScaleFile.objects.filter(job_input_links__job=job).order_by("job_input_links__id")


def job_recipes(job) -> QuerySet[Recipe]:
    """The recipes a job is part of, oldest first (a job is in a recipe at most once)."""
    return Recipe.objects.filter(recipe_jobs__job=job).order_by("created", "id")


class JobSerializer(ScaleSerializer):
    """A job (a row of Job List): with its job type, job type revision, trigger event and
    error in brief."""

    job_type = JobTypeBriefSerializer(read_only=True)
    job_type_rev = JobTypeRevisionBriefSerializer(read_only=True)
    event = TriggerEventBriefSerializer(read_only=True)
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = JOB_ROW_FIELDS


class JobUpdateSerializer(JobSerializer):
    """A job with the files it used as input (a row of Job Updates)."""

    input_files = ScaleFileSerializer(many=True, read_only=True, rows=input_files)

    class Meta(JobSerializer.Meta):
        fields = (*JOB_ROW_FIELDS, "input_files")


class JobWithLatestExecutionSerializer(JobSerializer):
    """A job with its latest execution, or null (a row of Job Executions)."""

    latest_job_exe = JobExecutionSerializer(
        read_only=True, allow_null=True, rows=newest_executions
    )

    class Meta(JobSerializer.Meta):
        fields = (*JOB_ROW_FIELDS, "latest_job_exe")


class JobDetailsSerializer(ScaleSerializer):
    """A job in full (Job Details): its job type, revision, trigger event and error in full,
    its data and results, its recipes, its executions (newest first), and its inputs and
    outputs merged from the job type's interface.

    ``inputs`` and ``outputs`` merge the revision's interface with the job's data and
    results (``job.interfaces``); they are the only fields computed in Python
    (``job.selectors.job_details``), the rest is rendered by PostgreSQL.
    """

    PYTHON_FIELDS = ("inputs", "outputs")

    job_type = JobTypeSerializer(read_only=True)
    job_type_rev = JobTypeRevisionSerializer(read_only=True)
    event = TriggerEventSerializer(read_only=True)
    error = ErrorSerializer(read_only=True, allow_null=True)
    recipes = RecipeSerializer(many=True, read_only=True, rows=job_recipes)
    job_exes = JobExecutionSerializer(many=True, read_only=True, rows=newest_executions)
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

    @extend_schema_field(JobInterfaceValueSerializer(many=True))
    def get_inputs(self, job: Job) -> list[dict]:
        files = self._files(job, ScaleFileSerializer)
        return job_inputs(interface=job.job_type_rev.interface, data=job.data, files=files)

    @extend_schema_field(JobInterfaceValueSerializer(many=True))
    def get_outputs(self, job: Job) -> list[dict]:
        files = self._files(job, ProductFileSerializer)
        return job_outputs(interface=job.job_type_rev.interface, results=job.results, files=files)

    @staticmethod
    def _files(job: Job, serializer_class) -> dict[int, dict]:
        ids = referenced_file_ids(job.data, job.results, within=PG_BIGINT_MAX)
        found = ScaleFile.objects.filter(pk__in=ids).select_related("workspace")
        return {f.pk: serializer_class(f).data for f in found}


class JobCancelRequestSerializer(serializers.Serializer):
    """The body of a cancel: {"status": "CANCELED"}, and no other field."""

    ALLOWED_STATUSES = (Job.Status.CANCELED,)

    # Exactly CANCELED: DRF would trim " CANCELED" to it.
    status = serializers.CharField(trim_whitespace=False)

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
        status = ResolvedComponent(
            "JobCancelStatus",
            ResolvedComponent.SCHEMA,
            schema={"type": "string", "enum": allowed, "description": "The status a cancel "
                    "gives a job: CANCELED, the only change allowed."},
            object="JobCancelStatus",
        )
        auto_schema.registry.register_on_missing(status)
        schema["properties"]["status"] = {
            "allOf": [status.ref],
            "description": "The status to give the job.",
        }
        schema["additionalProperties"] = False
        return schema


def job_type_itself(job_type) -> QuerySet[JobType]:
    """A job type as the one row of its own ``job_type`` object (the aggregate reads nest
    the job type they count)."""
    return JobType.objects.filter(pk=job_type)


STATUS_DEFAULT_WINDOW = timedelta(hours=3)


def status_counts_between(started: datetime | None, ended: datetime | None):
    """The rows of ``/job-types/status/``'s ``job_counts``: a job type's jobs whose status
    changed within [started, ended] (by default the last 3 hours), and every RUNNING one
    whenever it started, by status (and error category for FAILED ones)."""

    def rows(job_type):
        now = timezone.now()
        in_window = Q(
            last_status_change__gte=started or now - STATUS_DEFAULT_WINDOW,
            last_status_change__lte=ended or now,
        )
        return (
            Job.objects.filter(job_type=job_type)
            .filter(in_window | Q(status=Job.Status.RUNNING))
            .values("status", "error__category")
            .annotate(count=Count("id"), most_recent=Max("last_status_change"))
            .order_by("status", "error__category")
        )

    return rows


class JobTypeStatusSerializer(ScaleSerializer):
    """A job type with the counts of its jobs by status (and error category, for FAILED
    ones) within the time window.

    ``for_window`` binds the window of one request.
    """

    job_type = JobTypeBriefSerializer(read_only=True, rows=job_type_itself)
    job_counts = JobStatusCountSerializer(
        many=True, read_only=True, rows=status_counts_between(None, None)
    )

    class Meta:
        model = JobType
        fields = ("job_type", "job_counts")

    @classmethod
    def for_window(cls, *, started, ended) -> type[JobTypeStatusSerializer]:
        """This shape with ``job_counts`` counting within [started, ended]."""
        counts = JobStatusCountSerializer(
            many=True, read_only=True, rows=status_counts_between(started, ended)
        )
        return type(cls.__name__, (cls,), {"job_counts": counts, "Meta": cls.Meta})


class JobTypeRunningSerializer(ScaleSerializer):
    """A job type with RUNNING jobs: how many, and when the one running the longest started.

    Rows of ``job.selectors.running_job_types``.
    """

    job_type = JobTypeBriefSerializer(read_only=True, rows=job_type_itself)
    count = serializers.IntegerField(read_only=True, help_text="Its RUNNING jobs.")
    longest_running = UtcMillisecondDateTimeField(
        read_only=True, help_text="When the one running the longest started."
    )

    class Meta:
        model = JobType
        fields = ("job_type", "count", "longest_running")


class JobTypeFailureSerializer(ScaleSerializer):
    """A job type's FAILED jobs with one SYSTEM error: how many, and when the first and the
    last of them failed.

    A ``job_count`` row with its key's sum (``job.selectors.system_failures``).
    """

    job_type = JobTypeBriefSerializer(read_only=True)
    error = ErrorSerializer(read_only=True)
    count = serializers.IntegerField(
        source="failed", read_only=True, help_text="Its FAILED jobs with this error."
    )
    first_error = UtcMillisecondDateTimeField(read_only=True)
    last_error = UtcMillisecondDateTimeField(read_only=True)

    class Meta:
        model = JobCount
        fields = ("job_type", "error", "count", "first_error", "last_error")


class QueueStatusSerializer(ScaleSerializer):
    """A job type with QUEUED jobs: how many, when the one queued the longest was queued,
    and their highest priority.

    Rows of ``job.selectors.queue_status``.
    """

    job_type = JobTypeBriefSerializer(read_only=True, rows=job_type_itself)
    count = serializers.IntegerField(read_only=True, help_text="Its QUEUED jobs.")
    longest_queued = UtcMillisecondDateTimeField(
        read_only=True, allow_null=True, help_text="When the one queued the longest was queued."
    )
    highest_priority = serializers.IntegerField(
        read_only=True, help_text="The highest priority (lowest number) of those jobs."
    )

    class Meta:
        model = JobType
        fields = ("job_type", "count", "longest_queued", "highest_priority")


class StrictBodySerializer(serializers.Serializer):
    """A JSON object body whose fields are exactly the declared ones (an unknown field is
    a 400 naming it, never silently ignored)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["the body must be a JSON object."]}
            )
        unexpected = sorted(set(data) - set(self.fields))
        if unexpected:
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                f"unexpected fields: {', '.join(unexpected)}; the body takes "
                f"{', '.join(self.fields)}."
            ]})
        return super().to_internal_value(data)


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=PG_BIGINT_MAX, **kwargs)


class StrictIntegerField(serializers.IntegerField):
    """A JSON number that is a whole number: never a string ("5") or a boolean."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIdField(StrictIntegerField):
    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=PG_BIGINT_MAX, **kwargs)


class StrictCharField(serializers.CharField):
    """A JSON string, never a number made into one."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _holds_nul(value) -> bool:
    """Whether a JSON value has a NUL character in any string or key."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class QueueNewJobRequestSerializer(StrictBodySerializer):
    """The body of ``POST /queue/new-job/``: the job type and the data to run it on."""

    job_type_id = StrictIdField(help_text="The id of the job type of the new job.")
    job_data = serializers.JSONField(
        help_text="The data to run the job on, as Scale's job data document: input_data with "
        "a value, file_id or file_ids per input, output_data with a workspace_id per output."
    )

    def validate_job_data(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object.")
        if _holds_nul(value):  # PostgreSQL's jsonb cannot store it
            raise serializers.ValidationError("must not contain the NUL character (\\u0000).")
        return value


@extend_schema_field({"type": "string", "description": "An ISO-8601 datetime with a timezone "
                      "(2015-01-01T00:00:00Z), or an ISO-8601 duration (PT3H0M0S): now minus it."})
class DateTimeOrDurationJSONField(serializers.Field):
    """A JSON string: an ISO-8601 datetime with a timezone, or a duration (now minus it)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(
                "must be a string: an ISO-8601 datetime or duration."
            )
        try:
            return DateTimeOrDurationField().to_python(data)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc

    def to_representation(self, value):
        return value


class RequeueableStatus(TextChoices):
    """The statuses ``POST /queue/requeue-jobs/`` filters by: the jobs that may go back to
    the queue (``job.services.REQUEUEABLE_STATUSES``)."""

    CANCELED = Job.Status.CANCELED.value, Job.Status.CANCELED.label
    FAILED = Job.Status.FAILED.value, Job.Status.FAILED.label


class RequeueJobsRequestSerializer(StrictBodySerializer):
    """The body of ``POST /queue/requeue-jobs/``: which jobs (every filter optional, all
    of them together), and the priority they get back."""

    started = DateTimeOrDurationJSONField(
        required=False, help_text="Only jobs last modified at or after this time."
    )
    ended = DateTimeOrDurationJSONField(
        required=False, help_text="Only jobs last modified at or before this time."
    )
    status = serializers.ChoiceField(
        choices=RequeueableStatus.choices, required=False,
        help_text="Only jobs with this status.",
    )
    job_ids = serializers.ListField(
        child=StrictIdField(), required=False, max_length=100000,
        help_text="Only the jobs with these ids.",
    )
    job_type_ids = serializers.ListField(
        child=StrictIdField(), required=False, max_length=1000,
        help_text="Only jobs of the job types with these ids.",
    )
    job_type_names = serializers.ListField(
        child=StrictCharField(max_length=50), required=False, max_length=1000,
        help_text="Only jobs of job types with these names.",
    )
    job_type_categories = serializers.ListField(
        child=StrictCharField(max_length=50), required=False, max_length=1000,
        help_text="Only jobs of job types in these categories.",
    )
    error_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Error.Category.choices), required=False,
        max_length=10, help_text="Only jobs whose error is in these categories.",
    )
    priority = StrictIntegerField(
        required=False, min_value=-(2**31), max_value=2**31 - 1,
        help_text="The jobs' new priority (lower is higher); their own when absent.",
    )

    def validate(self, attrs):
        started, ended = attrs.get("started"), attrs.get("ended")
        if started and ended and started > ended:
            raise serializers.ValidationError({"ended": ["must not be before started."]})
        return attrs


class JobLoadSerializer(RowsSerializer):
    """A row of ``/load/``: how many jobs were in each state at a whole hour (UTC)."""

    time = UtcMillisecondDateTimeField(help_text="The hour the counts are of.")
    pending_count = serializers.IntegerField(help_text="The jobs PENDING at that time.")
    queued_count = serializers.IntegerField(help_text="The jobs QUEUED at that time.")
    running_count = serializers.IntegerField(help_text="The jobs RUNNING at that time.")


class MetricsFilterSerializer(serializers.Serializer):
    """A filter parameter of a metrics type."""

    param = serializers.CharField()
    type = serializers.CharField()


class MetricsGroupSerializer(serializers.Serializer):
    """A group of related columns of a metrics type."""

    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class MetricsColumnSerializer(serializers.Serializer):
    """A column of a metrics type: its units, group and aggregate."""

    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    units = serializers.CharField()
    group = serializers.CharField()
    aggregate = serializers.CharField()


class MetricsTypeSerializer(serializers.Serializer):
    """A row of ``/metrics/``: a type of metrics, its filters, groups and columns."""

    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    filters = MetricsFilterSerializer(many=True)
    groups = MetricsGroupSerializer(many=True)
    columns = MetricsColumnSerializer(many=True)


class MetricsTypeDetailsSerializer(MetricsTypeSerializer):
    """``/metrics/{name}/``: the type with the job types its values may be chosen by."""

    choices = JobTypeBriefSerializer(many=True)


class MetricsPlotValueSerializer(serializers.Serializer):
    """One plot value: a statistic for one date (and choice)."""

    # Present only when two or more choices were asked for (metrics.rst).
    id = serializers.IntegerField(
        required=False, help_text="The job type; only with two or more choice_id."
    )
    date = serializers.DateField()
    value = serializers.IntegerField()


class MetricsPlotSerializer(serializers.Serializer):
    """A row of ``/metrics/{name}/plot-data/``: one column's values, oldest first."""

    column = MetricsColumnSerializer()
    min_x = serializers.DateField(allow_null=True)
    max_x = serializers.DateField(allow_null=True)
    min_y = serializers.IntegerField(allow_null=True)
    max_y = serializers.IntegerField(allow_null=True)
    values = MetricsPlotValueSerializer(many=True)


class MetricsPlotValueSchema(OpenApiSerializerExtension):
    """A plot value's ``id`` is there only with two or more ``choice_id``: not required."""

    target_class = MetricsPlotValueSerializer

    def map_serializer(self, auto_schema, direction) -> dict:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = [name for name in schema["required"] if name != "id"]
        return schema
