"""The shapes of ``/job-executions/`` and ``/nodes/`` (an execution as a job shows it is
``job.serializers.JobExecutionSerializer``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    BooleanField,
    Case,
    Count,
    FloatField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from error.models import Error
from error.serializers import ErrorBriefSerializer, ErrorSerializer
from job.models import Job
from job.serializers import JOB_EXE_FIELDS, JobTypeBriefSerializer
from job_exe.models import JobExecution, Node, node_online
from scale.api.fields import UtcMillisecondDateTimeField
from scale.api.rendering import JSONFloat, JSONObject, Ref
from scale.api.serializers import IdObjectField, RowsSerializer, ScaleSerializer


class NodeBriefSerializer(ScaleSerializer):
    """A node in brief, as execution rows show it."""

    class Meta:
        model = Node
        fields = ("id", "hostname", "port", "slave_id")


class NodeSerializer(ScaleSerializer):
    """A node in full, as an execution's details show it."""

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
    """A job execution (a row of Job Execution List): with its job, node and error in brief."""

    job = ExecutionJobSerializer(read_only=True)
    node = NodeBriefSerializer(read_only=True, allow_null=True)
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = JobExecution
        fields = (*JOB_EXE_FIELDS, "job", "node", "error")


class JobExecutionDetailsSerializer(JobExecutionListSerializer):
    """A job execution in full (Job Execution Details): its job, node and error in full, the
    resources scheduled for it and its results. Its logs are at /job-executions/{id}/logs/."""

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


NODE_FIELDS = (
    "id",
    "hostname",
    "port",
    "slave_id",
    "pause_reason",
    "is_paused",
    "is_paused_errors",
    "is_active",
    "archived",
    "created",
    "last_offer",
    "last_modified",
)
SCHEDULED_RESOURCE_FIELDS = (
    "cpus_scheduled",
    "mem_scheduled",
    "disk_in_scheduled",
    "disk_out_scheduled",
    "disk_total_scheduled",
)


class NodeListSerializer(ScaleSerializer):
    """A node (a row of Node List)."""

    class Meta:
        model = Node
        fields = NODE_FIELDS


class RunningExecutionSerializer(ScaleSerializer):
    """An execution running on a node: its job (type brief), the node by id, its error and
    the resources scheduled for it."""

    job = ExecutionJobSerializer(read_only=True)
    node = IdObjectField(source="node_id", allow_null=True)
    error = ErrorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = JobExecution
        fields = (*JOB_EXE_FIELDS, "job", "node", "error", *SCHEDULED_RESOURCE_FIELDS)


def running_executions(node) -> QuerySet[JobExecution]:
    """A node's RUNNING executions, by last_modified (then id), as Scale listed them."""
    return JobExecution.objects.filter(node=node, status=JobExecution.Status.RUNNING).order_by(
        "last_modified", "id"
    )


class NodeResourceFiguresSerializer(serializers.Serializer):
    """Amounts of CPUs, memory and disk on a node; null where they are not known."""

    cpus = serializers.FloatField(allow_null=True)
    mem = serializers.FloatField(allow_null=True, help_text="MiB.")
    disk = serializers.FloatField(allow_null=True, help_text="MiB.")


class NodeResourcesSerializer(serializers.Serializer):
    """The shape of a node's ``resources`` (see ``NodeResourcesField``)."""

    total = NodeResourceFiguresSerializer(
        help_text="The node's hardware as its worker last reported it; null figures when "
        "it never did."
    )
    scheduled = NodeResourceFiguresSerializer(
        help_text="The resources scheduled for the executions running on the node now "
        "(disk: their disk_total_scheduled); 0.0 when none runs."
    )
    used = NodeResourceFiguresSerializer(
        help_text="Always null figures: real-time usage was Mesos's to report."
    )


RESOURCE_COLUMNS = (("cpus", "cpus"), ("mem", "mem"), ("disk", "disk_total"))
"""Each figure of ``resources`` and the column of an execution's scheduled resources it
sums (``<column>_scheduled``)."""


@extend_schema_field(NodeResourcesSerializer)
class NodeResourcesField(serializers.Field):
    """A node's ``resources`` (node.rst): ``total`` is its hardware columns (``cpus_total``,
    ``mem_total``, ``disk_total``: what the worker found when it registered, or what was
    reported otherwise; null when unknown), ``scheduled`` the sums of the resources
    scheduled for its RUNNING executions, ``used`` null figures. Scale read all three from
    the Mesos master; the chapter notes that usage was all zero there, which would claim
    an idle node: null says it is not known."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, node: Node) -> dict:
        scheduled = running_executions(node.pk).aggregate(**{
            figure: Sum(f"{column}_scheduled", default=0.0) for figure, column in RESOURCE_COLUMNS
        })
        return {
            "total": {"cpus": node.cpus_total, "mem": node.mem_total, "disk": node.disk_total},
            "scheduled": scheduled,
            "used": {"cpus": None, "mem": None, "disk": None},
        }

    def json_sql(self, ref: Ref):
        sums = (
            running_executions(OuterRef(ref("pk").name)).order_by().values("node")
            .annotate(json=JSONObject(
                (figure, JSONFloat(Sum(f"{column}_scheduled", default=0.0)))
                for figure, column in RESOURCE_COLUMNS
            ))
            .values("json")
        )
        zero = Cast(Value(0.0), FloatField())
        idle = JSONObject((figure, JSONFloat(zero)) for figure, _ in RESOURCE_COLUMNS)
        return JSONObject([
            ("total", JSONObject(
                (figure, JSONFloat(ref(f"{figure}_total"))) for figure, _ in RESOURCE_COLUMNS
            )),
            ("scheduled", Coalesce(Subquery(sums), idle)),
            ("used", JSONObject((figure, Value(None)) for figure, _ in RESOURCE_COLUMNS)),
        ])


class NodeOnlineField(serializers.BooleanField):
    """Whether the node is online (``job_exe.models.node_online``): while a worker keeps it
    alive, for a node workers run on; as last reported, for another."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, node: Node) -> bool:
        return node.online(timezone.now())

    def json_sql(self, ref: Ref):
        return node_online(ref)


class NodeDisconnectedField(serializers.BooleanField):
    """``disconnected``: the node is active here but not online (Scale: the database had
    the node, Mesos no agent for it)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, node: Node) -> bool:
        return node.is_active and not node.online(timezone.now())

    def json_sql(self, ref: Ref):
        return Case(
            When(**{ref("is_active").name: False}, then=Value(False)),
            When(node_online(ref), then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )


class NodeDetailsSerializer(NodeListSerializer):
    """A node with the job executions running on it and its resources (Node Details).

    Scale read ``resources`` and ``disconnected`` from the Mesos master; no Mesos runs
    here, so both come from what the service knows (``NodeResourcesField``,
    ``NodeDisconnectedField``): the hardware the node's worker reported, the resources
    scheduled for what runs on it, and whether a worker keeps it alive. Usage is unknown:
    null.
    """

    job_exes_running = RunningExecutionSerializer(
        many=True, read_only=True, rows=running_executions
    )
    resources = NodeResourcesField(
        help_text="The node's hardware, the resources scheduled for what runs on it now, "
        "and their usage (unknown: null)."
    )
    disconnected = NodeDisconnectedField(
        help_text="True when the node is active but not online (no worker keeps it alive, "
        "or, for a node no worker runs on, not reported online)."
    )

    class Meta(NodeListSerializer.Meta):
        fields = (*NODE_FIELDS, "job_exes_running", "resources", "disconnected")


class ExecutionStatusCountSerializer(RowsSerializer):
    """Executions of one status (and error category, for FAILED ones) on a node."""

    status = serializers.ChoiceField(
        choices=JobExecution.Status.choices, help_text="The executions' status."
    )
    count = serializers.IntegerField(
        help_text="The number of job executions for the status attempted by the node."
    )
    most_recent = UtcMillisecondDateTimeField(
        help_text="When the node last ran a job execution with the status."
    )
    category = serializers.ChoiceField(
        source="error__category",
        choices=Error.Category.choices,
        allow_null=True,
        help_text="The category of the executions' error, for FAILED ones; null otherwise.",
    )


def recent_execution_counts(*, started: datetime, ended: datetime | None):
    """The rows of ``job_exe_counts``: a node's executions whose last_modified lies in the
    window, by status and error category, with the latest last_modified of each group."""

    def rows(node):
        executions = JobExecution.objects.filter(node=node, last_modified__gte=started)
        if ended is not None:
            executions = executions.filter(last_modified__lte=ended)
        return (
            executions.values("status", "error__category")
            .annotate(count=Count("id"), most_recent=Max("last_modified"))
            .order_by("status", "error__category")
        )

    return rows


def the_node(node) -> QuerySet[Node]:
    """The node of a status row: the row's own node (a status row is one node)."""
    return Node.objects.filter(pk=node)


class NodeStatusSerializer(ScaleSerializer):
    """An active node with whether its agent is online (as last reported: no Mesos master
    runs here to ask), its recent executions counted by status, and those running on it.

    ``job_exe_counts`` depends on the request's window: ``node_status_serializer`` binds
    it; this class, with the window's default, is the shape the schema shows.
    """

    node = NodeListSerializer(read_only=True, rows=the_node)
    is_online = NodeOnlineField(
        help_text="Whether the node is running and available: while a worker on it is alive "
        "(its keep-alive less than SCALE_NODE_ALIVE_SECONDS old); for a node no worker "
        "runs on, as last reported (false until reported).",
    )
    job_exe_counts = ExecutionStatusCountSerializer(many=True, read_only=True)
    job_exes_running = RunningExecutionSerializer(
        many=True, read_only=True, rows=running_executions
    )

    class Meta:
        model = Node
        fields = ("node", "is_online", "job_exe_counts", "job_exes_running")


def node_status_serializer(
    *, started: datetime, ended: datetime | None
) -> type[NodeStatusSerializer]:
    """``NodeStatusSerializer`` counting the executions of this window."""

    class WindowNodeStatusSerializer(NodeStatusSerializer):
        job_exe_counts = ExecutionStatusCountSerializer(
            many=True, read_only=True, rows=recent_execution_counts(started=started, ended=ended)
        )

    return WindowNodeStatusSerializer
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
    """A job execution with whether it finished, and its stdout and stderr ("" when it has
    none).

    ``job_exe.selectors.execution_logs`` renders the row in PostgreSQL and streams the logs
    after it, in chunks.
    """

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
