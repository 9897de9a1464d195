"""``/status/`` and ``/version/`` (system.rst): what this service is, and how busy.

Scale answered ``/status/`` from its Mesos master and its scheduler. This service has
neither: it keeps jobs and executions in PostgreSQL and runs no Mesos framework. So the
master and scheduler say so (not online, no host), and the figures that can be known are
computed from the database in one snapshot: the queue depth (QUEUED jobs), the resources
scheduled for the executions running now, and the total hardware of the online nodes, as
each node last reported it (null when none has). Real-time usage was Mesos's to report: it
is null here.
"""

from __future__ import annotations

from django.db.models import Count, Sum
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from job.models import Job, JobCount
from job_exe.models import JobExecution, Node, node_online
from scale import __version__
from scale.api.views import MethodNotAllowedFirstMixin, read_snapshot


class MasterStatusSerializer(serializers.Serializer):
    """The Mesos master: there is none here, so it is not online and has no host or port."""

    is_online = serializers.BooleanField(help_text="Always false: no Mesos master runs here.")
    hostname = serializers.CharField(allow_null=True, help_text="Always null: no master host.")
    port = serializers.IntegerField(allow_null=True, help_text="Always null: no master port.")


class SchedulerStatusSerializer(serializers.Serializer):
    """The scheduler framework: there is none here, so it is neither online nor paused."""

    is_online = serializers.BooleanField(help_text="Always false: no scheduler runs here.")
    is_paused = serializers.BooleanField(
        allow_null=True, help_text="Always null: there is no scheduler to pause."
    )
    hostname = serializers.CharField(
        allow_null=True, help_text="Always null: no scheduler host."
    )


class ResourceFiguresSerializer(serializers.Serializer):
    """Amounts of CPUs, memory and disk."""

    cpus = serializers.FloatField()
    mem = serializers.FloatField(help_text="MiB.")
    disk = serializers.FloatField(help_text="MiB.")


class ClusterResourcesSerializer(serializers.Serializer):
    """The cluster's resources: only those scheduled are known here; total and used are
    null."""

    total = ResourceFiguresSerializer(
        allow_null=True,
        help_text="The hardware of the active, online nodes, as each last reported it; null "
        "when none has reported it.",
    )
    scheduled = ResourceFiguresSerializer(
        help_text="The resources scheduled for the executions running now (disk: their "
        "disk_total_scheduled)."
    )
    used = ResourceFiguresSerializer(
        allow_null=True, help_text="Always null: real-time usage was Mesos's to report."
    )


class SystemStatusSerializer(serializers.Serializer):
    """Overall master, scheduler and cluster information, as this service knows it."""

    master = MasterStatusSerializer()
    scheduler = SchedulerStatusSerializer()
    queue_depth = serializers.IntegerField(help_text="The number of QUEUED jobs.")
    resources = ClusterResourcesSerializer()


class VersionSerializer(serializers.Serializer):
    """The service's version (semantic versioning)."""

    version = serializers.CharField()


def system_status() -> dict:
    """The figures of ``/status/``, read from the database."""
    queued = JobCount.objects.filter(status=Job.Status.QUEUED).aggregate(total=Sum("count"))
    scheduled = JobExecution.objects.filter(status=JobExecution.Status.RUNNING).aggregate(
        cpus=Sum("cpus_scheduled", default=0.0),
        mem=Sum("mem_scheduled", default=0.0),
        disk=Sum("disk_total_scheduled", default=0.0),
    )
    reported = Node.objects.filter(node_online(), is_active=True, cpus_total__isnull=False)
    total = reported.aggregate(
        nodes=Count("id"), cpus=Sum("cpus_total"), mem=Sum("mem_total", default=0.0),
        disk=Sum("disk_total", default=0.0),
    )
    return {
        "master": {"is_online": False, "hostname": None, "port": None},
        "scheduler": {"is_online": False, "is_paused": None, "hostname": None},
        "queue_depth": queued["total"] or 0,
        "resources": {
            "total": {key: total[key] for key in ("cpus", "mem", "disk")} if total["nodes"]
            else None,
            "scheduled": scheduled,
            "used": None,
        },
    }


class SystemStatusView(MethodNotAllowedFirstMixin, APIView):
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="Get system status",
        description="Overall master, scheduler and cluster information. No Mesos master or "
        "scheduler runs here: both say so (not online, null hosts); queue_depth counts the "
        "QUEUED jobs, resources.scheduled sums the resources of the running executions and "
        "resources.total the hardware the online nodes reported.",
        responses=SystemStatusSerializer,
    )
    def get(self, request: Request) -> Response:
        with read_snapshot():
            return Response(SystemStatusSerializer(system_status()).data)


class VersionView(MethodNotAllowedFirstMixin, APIView):
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="Get system version",
        description="The version of the service.",
        responses=VersionSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(VersionSerializer({"version": __version__}).data)
