"""The five job endpoints. Views parse, call a selector or service, and serialize."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from job import selectors
from job.filters import JobFilterSet, JobListFilterSet, JobTypeFilterSet, JobUpdateFilterSet
from job.models import JobType
from job.pagination import JobCountPaginator
from job.serializers import (
    JobCancelRequestSerializer,
    JobDetailsSerializer,
    JobSerializer,
    JobTypeDetailsSerializer,
    JobTypeListSerializer,
    JobUpdateSerializer,
    JobWithLatestExecutionSerializer,
)
from job.services import job_cancel
from scale.api.parsers import JSONParser
from scale.api.schema import error_responses
from scale.api.views import ReadOnlyViewSet

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
class JobViewSet(ReadOnlyViewSet):
    """Jobs: ``/jobs/``, ``/jobs/{id}/`` (GET, PATCH to cancel), ``/jobs/updates/``,
    ``/jobs/executions/``."""

    http_method_names = ["get", "patch", "head", "options"]
    parser_classes = [JSONParser]
    queryset = selectors.jobs()
    filterset_class = JobListFilterSet
    serializer_class = JobSerializer
    django_paginator_class = JobCountPaginator

    def get_queryset(self):
        return selectors.job_updates() if self.action == "updates" else selectors.jobs()

    def get_serializer_class(self):
        return {
            "updates": JobUpdateSerializer,
            "executions": JobWithLatestExecutionSerializer,
            "retrieve": JobDetailsSerializer,
            "partial_update": JobCancelRequestSerializer,
        }.get(self.action, JobSerializer)

    def get_object_json(self) -> dict:
        job_id = self.get_object_id()
        details = selectors.job_details(job_id=job_id)
        if details is None:
            raise Http404(f"job {job_id} was not found.")
        return details

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Cancel the job: ``{"status": "CANCELED"}`` is the only change allowed."""
        job_id = self.get_object_id()
        JobCancelRequestSerializer(data=request.data).is_valid(raise_exception=True)
        job_cancel(job_id=job_id)
        return self.retrieve(request)

    @action(detail=False, methods=["get"], filterset_class=JobUpdateFilterSet)
    def updates(self, request: Request) -> Response:
        """Jobs with their input files, by when their status last changed."""
        return self.list(request)

    @action(detail=False, methods=["get"], filterset_class=JobFilterSet)
    def executions(self, request: Request) -> Response:
        """Jobs with their latest execution."""
        return self.list(request)


@extend_schema_view(
    list=extend_schema(
        summary="Job type list",
        description="All job types, by name and version (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Job type details",
        description="One job type with its interface, error mapping, trigger rule, the "
        "errors its mapping names and its jobs' status counts of the last 6, 12 and 24 hours.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The job type's id.")],
    ),
)
class JobTypeViewSet(ReadOnlyViewSet):
    """Job types: ``/job-types/``, ``/job-types/{id}/``."""

    queryset = JobType.objects.order_by("name", "version", "id")
    filterset_class = JobTypeFilterSet
    serializer_class = JobTypeListSerializer

    def get_serializer_class(self):
        return JobTypeDetailsSerializer if self.action == "retrieve" else JobTypeListSerializer
