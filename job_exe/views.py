"""``/job-executions/``: executions of jobs, each with its job, node and error; ``/nodes/``:
the cluster's hosts and the executions they run."""

import itertools

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from job_exe.filters import JobExecutionFilterSet, NodeFilterSet, NodeStatusFilterSet
from job_exe.models import JobExecution, Node
from job_exe.pagination import JobExecutionCountPaginator
from job_exe.selectors import ExecutionNotFound, execution_logs
from job_exe.serializers import (
    JobExecutionDetailsSerializer,
    JobExecutionListSerializer,
    JobExecutionLogsSerializer,
    NodeDetailsSerializer,
    NodeListSerializer,
    NodeStatusSerializer,
    node_status_serializer,
)
from scale.api.views import ReadOnlyViewSet


# Named "Execution": the rule of ScaleAutoSchema.get_operation_id would call this list
# listJobExecutions, the name of /jobs/executions/ (the contract's Job Executions).
@extend_schema_view(
    list=extend_schema(
        operation_id="listExecutions",
        summary="Job execution list",
        description="All job executions, by last_modified (then id) unless ordered otherwise.",
    ),
    logs=extend_schema(
        operation_id="getExecutionLogs",
        summary="Job execution logs",
        description="The execution with whether it finished and its stdout and stderr (\"\" "
        "when it has none), streamed.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The job execution's id.")],
        responses=JobExecutionLogsSerializer,
    ),
    retrieve=extend_schema(
        operation_id="getExecution",
        summary="Job execution details",
        description="One job execution with its job, node, error, scheduled resources and "
        "results.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The job execution's id.")],
    ),
)
class JobExecutionViewSet(ReadOnlyViewSet):
    """Job executions: ``/job-executions/``, ``/job-executions/{id}/`` and
    ``/job-executions/{id}/logs/``."""

    queryset = JobExecution.objects.order_by("last_modified", "id")
    filterset_class = JobExecutionFilterSet
    serializer_class = JobExecutionListSerializer
    django_paginator_class = JobExecutionCountPaginator

    def get_serializer_class(self):
        if self.action == "retrieve":
            return JobExecutionDetailsSerializer
        if self.action == "logs":
            return JobExecutionLogsSerializer
        return JobExecutionListSerializer

    @action(detail=True, methods=["get"])
    def logs(self, request: Request, *args, **kwargs) -> StreamingHttpResponse:
        """The execution with its stdout and stderr, streamed: never whole in memory."""
        execution_id = self.get_object_id()
        body = execution_logs(execution_id=execution_id)
        try:
            first = next(body)  # the 404 comes before anything is sent
        except ExecutionNotFound:
            raise Http404(f"job execution {execution_id} was not found.") from None
        return StreamingHttpResponse(
            itertools.chain([first], body), content_type="application/json"
        )


@extend_schema_view(
    list=extend_schema(
        summary="Node list",
        description="The active nodes (all of them with include_inactive=true), by "
        "last_modified (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Node details",
        description="A specific node, the job executions running on it, its resources (the "
        "hardware its worker reported, what is scheduled for the executions running there; "
        "usage unknown: null) and whether it is disconnected (active but not online).",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The node's id.")],
    ),
    status=extend_schema(
        summary="Nodes status",
        description="Each active node, by hostname (then id), with counts of its recent job "
        "executions by status (and error category for FAILED ones) and the executions "
        "running on it. is_online: while a worker on the node is alive (for a node no worker "
        "runs on, as last reported; no Mesos master runs here).",
        responses=NodeStatusSerializer(many=True),
    ),
)
class NodeViewSet(ReadOnlyViewSet):
    """Nodes: ``/nodes/``, ``/nodes/{id}/``, ``/nodes/status/``."""

    queryset = Node.objects.order_by("last_modified", "id")
    filterset_class = NodeFilterSet
    serializer_class = NodeListSerializer

    def get_queryset(self):
        if self.action == "status":
            return Node.objects.filter(is_active=True).order_by("hostname", "id")
        return super().get_queryset()

    def get_serializer_class(self):
        return {
            "retrieve": NodeDetailsSerializer,
            "status": NodeStatusSerializer,
        }.get(self.action, NodeListSerializer)

    @action(detail=False, methods=["get"], filterset_class=NodeStatusFilterSet)
    def status(self, request: Request) -> Response:
        """The list pipeline, with the counts bound to the request's window."""
        return self.list(request)

    def renders_per_request(self) -> bool:
        return self.action == "status"  # its serializer holds the request's window

    def get_row_serializer(self, filterset):
        if self.action != "status":
            return super().get_row_serializer(filterset)
        started, ended = filterset.execution_window()
        return node_status_serializer(started=started, ended=ended)
