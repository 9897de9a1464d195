"""``/job-executions/``: executions of jobs, each with its job, node and error."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from job_exe.filters import JobExecutionFilterSet
from job_exe.models import JobExecution
from job_exe.serializers import JobExecutionDetailsSerializer, JobExecutionListSerializer
from scale.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Job execution list",
        description="All job executions, by last_modified (then id) unless ordered otherwise.",
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
    """Job executions: ``/job-executions/``, ``/job-executions/{id}/``."""

    queryset = JobExecution.objects.order_by("last_modified", "id")
    filterset_class = JobExecutionFilterSet
    serializer_class = JobExecutionListSerializer

    def get_serializer_class(self):
        if self.action == "retrieve":
            return JobExecutionDetailsSerializer
        return JobExecutionListSerializer
