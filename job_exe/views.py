"""``/job-executions/``: executions of jobs, each with its job, node and error."""

import itertools

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request

from job_exe.filters import JobExecutionFilterSet
from job_exe.models import JobExecution
from job_exe.selectors import ExecutionNotFound, execution_logs
from job_exe.serializers import (
    JobExecutionDetailsSerializer,
    JobExecutionListSerializer,
    JobExecutionLogsSerializer,
)
from scale.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Job execution list",
        description="All job executions, by last_modified (then id) unless ordered otherwise.",
    ),
    logs=extend_schema(
        summary="Job execution logs",
        description="The execution with whether it finished and its stdout and stderr (\"\" "
        "when it has none), streamed.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The job execution's id.")],
        responses=JobExecutionLogsSerializer,
    ),
    retrieve=extend_schema(
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
