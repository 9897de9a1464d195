"""The job and job type endpoints. Views parse, call a selector or service, and serialize."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from job import api_examples, metrics, selectors
from job.filters import (
    JobFilterSet,
    JobListFilterSet,
    JobLoadFilterSet,
    JobTypeFilterSet,
    JobTypeMetricsFilterSet,
    JobTypeStatusFilterSet,
    JobUpdateFilterSet,
    NoParametersFilterSet,
)
from job.models import JobDayCount, JobLoadChange, JobType
from job.pagination import JobCountPaginator, JobUpdatePaginator
from job.serializers import (
    JobCancelRequestSerializer,
    JobDetailsSerializer,
    JobLoadSerializer,
    JobSerializer,
    JobTypeDetailsSerializer,
    JobTypeFailureSerializer,
    JobTypeListSerializer,
    JobTypeRunningSerializer,
    JobTypeStatusSerializer,
    JobUpdateSerializer,
    JobWithLatestExecutionSerializer,
    MetricsColumnSerializer,
    MetricsPlotSerializer,
    MetricsTypeDetailsSerializer,
    MetricsTypeSerializer,
    QueueNewJobRequestSerializer,
    QueueStatusSerializer,
    RequeueJobsRequestSerializer,
)
from job.services import JobDataInvalid, job_cancel, job_queue_new, job_requeue
from job_exe.models import JobExecutionDayTime
from scale.api.pagination import FilterSetPaginator
from scale.api.parsers import JSONParser
from scale.api.permissions import RequiresPermission
from scale.api.schema import error_responses
from scale.api.views import ReadOnlyViewSet, read_snapshot

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
        examples=[
            OpenApiExample("A page of jobs", value=api_examples.JOB_ROW, response_only=True),
        ],
    ),
    retrieve=extend_schema(
        summary="Job details",
        description="One job with its full nested objects, recipes, executions, inputs and "
        "outputs.",
        parameters=[JOB_ID_PARAMETER],
        examples=[
            OpenApiExample("A completed job", value=api_examples.JOB_DETAILS,
                           response_only=True),
        ],
    ),
    partial_update=extend_schema(
        operation_id="cancelJob",  # a PATCH whose only change is the cancel
        summary="Cancel a job",
        description='Cancel the job with {"status": "CANCELED"}, the only change allowed. '
        "Needs the job.change_job permission. Canceling a canceled job changes nothing; "
        "a completed job cannot be canceled (409). Answers the job's details.",
        parameters=[JOB_ID_PARAMETER],
        request=JobCancelRequestSerializer,
        examples=[
            OpenApiExample("Cancel", value=api_examples.CANCEL_REQUEST, request_only=True),
        ],
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

    @action(detail=False, methods=["get"], filterset_class=JobUpdateFilterSet,
            django_paginator_class=JobUpdatePaginator)
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
    status=extend_schema(
        summary="Job types status",
        description="Every job type (by name and version) with the counts of its jobs whose "
        "status changed within the window (the last 3 hours by default), by status and, for "
        "FAILED jobs, error category. RUNNING jobs are counted whenever they started.",
        responses=JobTypeStatusSerializer(many=True),
    ),
    running=extend_schema(
        summary="Job types running",
        description="The job types with RUNNING jobs: how many, and when the one running the "
        "longest started; longest running first.",
        responses=JobTypeRunningSerializer(many=True),
    ),
    system_failures=extend_schema(
        summary="Job type system failures",
        description="Per job type and SYSTEM error, the number of FAILED jobs with that "
        "error and when the first and the last of them failed; latest failure first.",
        responses=JobTypeFailureSerializer(many=True),
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
    """Job types: ``/job-types/``, ``/job-types/{id}/``, and the counts of their jobs:
    ``/job-types/status/``, ``/job-types/running/``, ``/job-types/system-failures/``.

    The counts' routes are list routes, which the router matches before ``{id}``.
    """

    queryset = JobType.objects.order_by("name", "version", "id")
    filterset_class = JobTypeFilterSet
    serializer_class = JobTypeListSerializer

    def renders_per_request(self) -> bool:
        # running, system failures: their counts are annotations; status: its window.
        return self.action in ("running", "system_failures", "status")

    def get_row_serializer(self, filterset):
        if self.action != "status":
            return super().get_row_serializer(filterset)
        window = filterset.form.cleaned_data
        return JobTypeStatusSerializer.for_window(
            started=window.get("started"), ended=window.get("ended")
        )

    def get_queryset(self):
        if self.action == "running":
            return selectors.running_job_types()
        if self.action == "system_failures":
            return selectors.system_failures()
        return JobType.objects.order_by("name", "version", "id")

    def get_serializer_class(self):
        return {
            "retrieve": JobTypeDetailsSerializer,
            "status": JobTypeStatusSerializer,
            "running": JobTypeRunningSerializer,
            "system_failures": JobTypeFailureSerializer,
        }.get(self.action, JobTypeListSerializer)

    @action(detail=False, methods=["get"], filterset_class=JobTypeStatusFilterSet)
    def status(self, request: Request) -> Response:
        """Every job type with its jobs' counts by status within the window."""
        return self.list(request)

    # Sorted by counts, which no index holds: paged by page only.
    @action(detail=False, methods=["get"], filterset_class=NoParametersFilterSet,
            pages_by_key=False)
    def running(self, request: Request) -> Response:
        """The job types with RUNNING jobs, longest running first."""
        return self.list(request)

    @action(detail=False, methods=["get"], url_path="system-failures",
            filterset_class=NoParametersFilterSet, pages_by_key=False)
    def system_failures(self, request: Request) -> Response:
        """FAILED jobs with a SYSTEM error, per job type and error, latest failure first."""
        return self.list(request)


@extend_schema_view(
    list=extend_schema(
        summary="Queue status",
        description="The job types with QUEUED jobs: how many, when the one queued the "
        "longest was queued, and their highest priority (lowest number); highest priority "
        "first, then longest queued.",
    ),
)
class QueueStatusViewSet(ReadOnlyViewSet):
    """``/queue/status/``: the queue, by job type."""

    filterset_class = NoParametersFilterSet
    serializer_class = QueueStatusSerializer
    pages_by_key = False  # sorted by counts, which no index holds

    def get_queryset(self):
        return selectors.queue_status()

    def renders_per_request(self) -> bool:
        return True  # the counts are annotations of the queryset


class QueueWriteMixin:
    """The two queue writes: a JSON body, an authenticated user with the view's own
    permission, and a POST alone (other methods are a 405 before any permission check)."""

    http_method_names = ["post", "options"]
    parser_classes = [JSONParser]
    permission_classes = [RequiresPermission]

    def body(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@extend_schema_view(
    create=extend_schema(
        operation_id="queueNewJob",
        summary="Queue a new job",
        description="Creates a job of the job type's current revision on job_data and queues "
        "its first execution: the answer is the job's details (status QUEUED, one QUEUED "
        "execution in job_exes), with its URL in Location. job_data is checked against the "
        "revision's interface: every required input given, each value of its input's type "
        "(value for a property, file_id for a file, file_ids for files), every file existing "
        "(and of an accepted media type), every output with an existing, active workspace; a "
        "400 names each problem and nothing is written. Needs the job.queue_job permission.",
        request=QueueNewJobRequestSerializer,
        responses={201: JobDetailsSerializer,
                   **error_responses({409: "The job type has no current revision."})},
    ),
)
class QueueNewJobViewSet(QueueWriteMixin, ReadOnlyViewSet):
    """``POST /queue/new-job/``."""

    required_permission = "job.queue_job"
    queryset = selectors.jobs()
    serializer_class = JobDetailsSerializer

    def create(self, request: Request) -> Response:
        body = self.body(QueueNewJobRequestSerializer)
        try:
            job_id = job_queue_new(
                job_type_id=body["job_type_id"], data=body["job_data"],
                user=request.user.get_username(),
            )
        except JobDataInvalid as invalid:
            raise ValidationError(invalid.problems) from invalid
        location = request.build_absolute_uri(
            reverse(f"{request.resolver_match.namespace}:job-detail", args=[job_id])
        )
        details = selectors.job_details(job_id=job_id)  # in a snapshot of its own
        return Response(details, status=201, headers={"Location": location})


@extend_schema_view(
    create=extend_schema(
        operation_id="requeueJobs",
        summary="Requeue jobs",
        description="Puts the FAILED and CANCELED jobs that match every given filter back: "
        "each gets its executions so far plus its job type's max_tries as max_tries, and "
        "becomes QUEUED with a new execution (PENDING if it was never queued), with "
        "priority when given. The answer is a page (page, page_size) of every job the "
        "filters matched, as /jobs/ shows them, after the change. Needs the "
        "job.requeue_job permission.",
        request=RequeueJobsRequestSerializer,
        responses={200: JobSerializer(many=True),
                   **error_responses({404: "A page past the last one."})},
    ),
)
class RequeueJobsViewSet(QueueWriteMixin, ReadOnlyViewSet):
    """``POST /queue/requeue-jobs/``."""

    required_permission = "job.requeue_job"
    filterset_class = NoParametersFilterSet
    serializer_class = JobSerializer
    django_paginator_class = FilterSetPaginator
    matched: list[int] = []

    def get_queryset(self):
        return selectors.jobs().filter(pk__in=self.matched)

    def create(self, request: Request) -> Response:
        body = dict(self.body(RequeueJobsRequestSerializer))
        priority = body.pop("priority", None)
        # The page is checked before anything changes: a bad page_size is a 400, no write.
        self.paginator.get_page_size(request)
        with transaction.atomic():
            self.matched = selectors.requeue_candidates(**body)
            job_requeue(job_ids=self.matched, priority=priority)
        return self.list(request)


@extend_schema_view(
    list=extend_schema(
        summary="Job load",
        description="At every whole hour (UTC) of the window, up to now, how many jobs were "
        "PENDING, QUEUED and RUNNING, as the jobs' own timestamps tell it; oldest first. The "
        "window defaults to midnight UTC 7 days ago until now and may span at most 31 days.",
    ),
)
class JobLoadViewSet(ReadOnlyViewSet):
    """``/load/``: the job load over time, from ``job_load_change``."""

    pages_by_key = False  # paginate_rows: the rows are computed in full
    queryset = JobLoadChange.objects.order_by("hour", "job_type_id", "id")
    filterset_class = JobLoadFilterSet
    serializer_class = JobLoadSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        with read_snapshot():
            filterset = self.get_filterset()
            started, ended = filterset.window()
            points = selectors.job_load(filterset.qs, started=started, ended=ended)
            page = self.paginator.paginate_rows(points, request)
            return self.paginator.get_paginated_response(JobLoadSerializer(page, many=True).data)


METRICS_NAME_PARAMETER = OpenApiParameter(
    "name", str, OpenApiParameter.PATH,
    description="The name of the metrics type (job-types).",
)


def metrics_type_or_404(name: str) -> metrics.MetricsType:
    try:
        return metrics.METRICS_TYPES[name]
    except KeyError:
        known = ", ".join(metrics.METRICS_TYPES)
        raise Http404(f"metrics type {name!r} was not found: use {known}.") from None


@extend_schema_view(
    list=extend_schema(
        summary="Metrics list",
        description="The types of metrics, with their filters, groups and columns.",
    ),
    retrieve=extend_schema(
        summary="Metric details",
        description="A type of metrics with the choices (job types) its values are by.",
        parameters=[METRICS_NAME_PARAMETER],
    ),
)
class MetricsViewSet(ReadOnlyViewSet):
    """``/metrics/`` and ``/metrics/{name}/`` (metrics.rst): the types are declared in
    ``job.metrics``, not stored."""

    pages_by_key = False  # paginate_rows: the rows are computed in full
    filterset_class = NoParametersFilterSet
    serializer_class = MetricsTypeSerializer
    lookup_field = "name"

    def get_queryset(self):
        return JobType.objects.none()  # no model: the types are declared

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MetricsTypeDetailsSerializer
        return MetricsTypeSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        self.get_filterset()
        page = self.paginator.paginate_rows(list(metrics.METRICS_TYPES.values()), request)
        return self.paginator.get_paginated_response(MetricsTypeSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        metrics_type = metrics_type_or_404(self.kwargs["name"])
        with read_snapshot():
            choices = selectors.metrics_choices()
        details = dict(MetricsTypeSerializer(metrics_type).data)
        details["choices"] = choices
        return Response(details)


@extend_schema_view(
    list=extend_schema(
        summary="Metric plot data",
        description="For each column (those named by column, in their order, then those of "
        "each group; by default every column), its values by day (UTC) of the jobs that "
        "ended then (count columns) or of the executions that completed then (time "
        "columns, in whole seconds: the sum, least, greatest or mean of that time over those "
        "executions), oldest first: by job type (id) with two or more choice_id, otherwise "
        "over the job types chosen together (all by default). A day without such jobs, or "
        "on which that time was measured for no execution, has no value. column also takes "
        "the names the Scale 3.0.0 web UI sends: system_error_count, data_error_count, "
        "algorithm_error_count.",
        parameters=[METRICS_NAME_PARAMETER],
    ),
)
class MetricsPlotDataViewSet(ReadOnlyViewSet):
    """``/metrics/{name}/plot-data/``: the columns' values, from ``job_day_count`` (counts)
    and ``job_exe_day_time`` (times)."""

    pages_by_key = False  # paginate_rows: the rows are computed in full
    queryset = JobDayCount.objects.order_by("occurred", "job_type_id", "id")
    filterset_class = JobTypeMetricsFilterSet
    serializer_class = MetricsPlotSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        metrics_type = metrics_type_or_404(self.kwargs["name"])
        with read_snapshot():
            filterset = self.get_filterset()
            data = filterset.form.cleaned_data
            columns = metrics_type.selected_columns(data["column"], data["group"])
            plots = selectors.metrics_plot_data(
                filterset.qs,
                # The same window and job types, of the executions' times.
                filterset.filter_queryset(JobExecutionDayTime.objects.all()),
                columns=columns,
                per_job_type=len(data["choice_id"]) > 1,
            )
            page = self.paginator.paginate_rows(plots, request)
        # The selector's rows are the shape already, keys in order, dates as dates (the
        # renderer writes them as DRF does); only the column objects go through their
        # serializer: DRF on every value would cost more than the query (the test compares
        # with MetricsPlotSerializer).
        rows = [{**plot, "column": MetricsColumnSerializer(plot["column"]).data} for plot in page]
        return self.paginator.get_paginated_response(rows)
