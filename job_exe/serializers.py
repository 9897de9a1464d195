"""The shapes of ``/job-executions/`` (an execution as a job shows it is
``job.serializers.JobExecutionSerializer``)."""

from django.db.models import BooleanField, Case, Value, When
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from error.serializers import ErrorBriefSerializer, ErrorSerializer
from job.models import Job
from job.serializers import JOB_EXE_FIELDS, JobTypeBriefSerializer
from job_exe.models import JobExecution, Node
from scale.api.rendering import Ref
from scale.api.serializers import IdObjectField, ScaleSerializer


class NodeBriefSerializer(ScaleSerializer):
    class Meta:
        model = Node
        fields = ("id", "hostname", "port", "slave_id")


class NodeSerializer(ScaleSerializer):
    class Meta:
        model = Node
        fields = (
            "id",
            "hostname",
            "port",
            "slave_id",
            "is_paused",
            "is_active",
            "archived",
            "created",
            "last_modified",
        )


class ExecutionJobSerializer(ScaleSerializer):
    """The job of an execution: its type (brief), revision and event by id, its status."""

    job_type = JobTypeBriefSerializer(read_only=True)
    job_type_rev = IdObjectField(source="job_type_rev_id")
    event = IdObjectField(source="event_id")
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = ("id", "job_type", "job_type_rev", "event", "error", "status", "priority",
                  "num_exes")


@extend_schema_field(serializers.URLField(allow_null=True))
class NoLogUrlField(serializers.Field):
    """``current_stdout_url``/``current_stderr_url``: Scale pointed them at the Mesos task's
    log files. This service runs no Mesos tasks, so there is no such URL: always null."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, execution: JobExecution) -> None:
        return None

    def json_sql(self, ref: Ref):
        return Value(None)


class JobExecutionListSerializer(ScaleSerializer):
    """A row of ``/job-executions/``."""

    job = ExecutionJobSerializer(read_only=True)
    node = NodeBriefSerializer(read_only=True, allow_null=True)
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = JobExecution
        fields = (*JOB_EXE_FIELDS, "job", "node", "error")


class JobExecutionDetailsSerializer(JobExecutionListSerializer):
    """``/job-executions/{id}/``: the row with the full node and error, the resources
    scheduled, and the execution's results. Never its stdout/stderr."""

    node = NodeSerializer(read_only=True, allow_null=True)
    error = ErrorSerializer(read_only=True, allow_null=True)
    current_stdout_url = NoLogUrlField()
    current_stderr_url = NoLogUrlField()

    class Meta(JobExecutionListSerializer.Meta):
        fields = (
            *JobExecutionListSerializer.Meta.fields,
            "environment",
            "cpus_scheduled",
            "mem_scheduled",
            "disk_in_scheduled",
            "disk_out_scheduled",
            "disk_total_scheduled",
            "results",
            "current_stdout_url",
            "current_stderr_url",
            "results_manifest",
        )


class IsFinishedField(serializers.BooleanField):
    """``is_finished``: whether the execution ended (FAILED, COMPLETED or CANCELED)."""

    FINISHED = ("FAILED", "COMPLETED", "CANCELED")

    def __init__(self, **kwargs) -> None:
        super().__init__(source="status", read_only=True, **kwargs)

    def to_representation(self, status: str) -> bool:
        return status in self.FINISHED

    def json_sql(self, ref: Ref):
        return Case(When(**{f"{ref('status').name}__in": self.FINISHED}, then=Value(True)),
                    default=Value(False), output_field=BooleanField())


class JobExecutionLogsSerializer(JobExecutionListSerializer):
    """``/job-executions/{id}/logs/``: the row, whether it finished, and its logs (``""``
    when it has none). ``job_exe.selectors.execution_logs`` renders the row in PostgreSQL
    and streams the logs after it, in chunks."""

    LOG_FIELDS = ("stdout", "stderr")

    is_finished = IsFinishedField()
    stdout = serializers.CharField(read_only=True, default="", help_text="Contents of stdout.")
    stderr = serializers.CharField(read_only=True, default="", help_text="Contents of stderr.")

    class Meta(JobExecutionListSerializer.Meta):
        fields = (*JobExecutionListSerializer.Meta.fields, "is_finished", "stdout", "stderr")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in self.LOG_FIELDS:
            data[name] = data[name] or ""
        return data
