"""The five job endpoints. Views parse, call a selector or service, and serialize."""

from __future__ import annotations

from types import SimpleNamespace

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from job import selectors
from job.filters import JobFilterSet, JobListFilterSet, JobUpdateFilterSet
from job.serializers import (
    JobCancelRequestSerializer,
    JobDetailsSerializer,
    JobSerializer,
    JobUpdateSerializer,
    JobWithLatestExecutionSerializer,
)
from job.services import job_cancel
from scale.api.filters import PG_BIGINT_MAX
from scale.api.parsers import JSONParser
from scale.api.schema import error_responses
from scale.api.views import MethodNotAllowedFirstMixin

# The path accepts any segment (anything but a job id is a 404); the schema says what works.
JOB_ID_PARAMETER = OpenApiParameter(
    "id",
    OpenApiTypes.INT64,
    OpenApiParameter.PATH,
    description="The job's id.",
)


@extend_schema_view(
    list=extend_schema(
        summary="Job list",
        description="All jobs, by last_modified (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Job details",
        description="One job with its full nested objects, recipes, executions, inputs and "
        "outputs.",
        parameters=[JOB_ID_PARAMETER],
    ),
    partial_update=extend_schema(
        summary="Cancel a job",
        description='Cancel the job with {"status": "CANCELED"}, the only change allowed. '
        "Needs the job.change_job permission. Canceling a canceled job changes nothing; "
        "a completed job cannot be canceled (409). Answers the job's details.",
        parameters=[JOB_ID_PARAMETER],
        request=JobCancelRequestSerializer,
        responses={
            200: JobDetailsSerializer,
            **error_responses({409: "The job is COMPLETED: it cannot be canceled."}),
        },
    ),
    updates=extend_schema(
        summary="Job updates",
        description="Jobs with the files they used as input, by last_status_change (then "
        "id) unless ordered otherwise.",
        responses=JobUpdateSerializer(many=True),
    ),
    executions=extend_schema(
        summary="Job executions",
        description="Jobs with their latest execution (or null), by last_modified (then id) "
        "unless ordered otherwise.",
        responses=JobWithLatestExecutionSerializer(many=True),
    ),
)
class JobViewSet(
    MethodNotAllowedFirstMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Jobs: ``/jobs/``, ``/jobs/{id}/`` (GET, PATCH to cancel), ``/jobs/updates/``,
    ``/jobs/executions/``."""

    http_method_names = ["get", "patch", "head", "options"]
    parser_classes = [JSONParser]
    # The contract names the path segment {id}; anything that is not an id is a 404.
    lookup_value_regex = "[^/]+"

    _querysets = {
        "list": selectors.job_rows,
        "updates": selectors.job_update_rows,
        "executions": selectors.job_rows,
        "retrieve": selectors.job_details,
        "partial_update": selectors.job_details,
    }
    # What the pagination loads a page's ids with (see StrictPageNumberPagination).
    _page_loaders = {
        "list": selectors.job_page,
        "updates": selectors.job_update_page,
        "executions": selectors.job_execution_page,
    }
    _serializers = {
        "list": JobSerializer,
        "updates": JobUpdateSerializer,
        "executions": JobWithLatestExecutionSerializer,
        "retrieve": JobDetailsSerializer,
        "partial_update": JobCancelRequestSerializer,
    }
    _filtersets = {
        "list": JobListFilterSet,
        "updates": JobUpdateFilterSet,
        "executions": JobFilterSet,
    }

    def get_queryset(self):
        return self._querysets.get(self.action, selectors.job_rows)()

    def get_serializer_class(self):
        return self._serializers.get(self.action, JobSerializer)

    @property
    def filterset_class(self):
        # Details and cancel address one job by id: list filters do not apply to them.
        return self._filtersets.get(self.action)

    def load_page(self, ids: list[int]) -> dict:
        """The rows of a list page, by id, shaped for the action's serializer."""
        return self._page_loaders[self.action](ids)

    def get_object(self) -> SimpleNamespace:
        job_id = self._job_id()
        job = selectors.job_details_get(job_id=job_id)
        if job is None:
            raise Http404(f"job {job_id} was not found.")
        self.check_object_permissions(self.request, job)
        return job

    def _job_id(self) -> int:
        raw = self.kwargs[self.lookup_field]
        # Length first: int() refuses strings of over 4300 digits with a ValueError.
        too_long = len(raw) > len(str(PG_BIGINT_MAX))
        if too_long or not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= PG_BIGINT_MAX:
            raise Http404(f"job {raw} was not found: a job id is a positive whole number.")
        return int(raw)

    def _details(self, job: SimpleNamespace) -> Response:
        files = selectors.job_files(job=job)
        serializer = JobDetailsSerializer(
            job, context={**self.get_serializer_context(), "files": files}
        )
        return Response(serializer.data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._details(self.get_object())

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Cancel the job: ``{"status": "CANCELED"}`` is the only change allowed."""
        job_id = self._job_id()
        JobCancelRequestSerializer(data=request.data).is_valid(raise_exception=True)
        job_cancel(job_id=job_id)
        return self._details(self.get_object())

    @action(detail=False, methods=["get"])
    def updates(self, request: Request) -> Response:
        """Jobs with their input files, by when their status last changed."""
        return self.list(request)

    @action(detail=False, methods=["get"])
    def executions(self, request: Request) -> Response:
        """Jobs with their latest execution."""
        return self.list(request)
