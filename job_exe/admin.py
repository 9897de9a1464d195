"""Admin for nodes and job executions.

Executions are read-only (they change only through the job services) and their logs are
never read by the list: a page of executions reads no stdout/stderr. An execution's own
page shows the tail of each log, cut in the database so a huge log is never transferred.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Length, Right
from django.http import HttpRequest
from django.utils.html import format_html

from job.models import Job
from job_exe.models import (
    EXECUTION_MEASURES,
    JobExecution,
    JobExecutionCount,
    JobExecutionDayTime,
    Node,
)
from scale.admin_kit import (
    LargeTableAdmin,
    LedgerAdmin,
    ProtectedCountDeleteMixin,
    ReadOnlyAdminMixin,
    admin_change_link,
    admin_change_link_by_id,
    admin_changelist_link,
    titled_filter,
)

# How much of each log an execution's page shows (the end, where the failure is).
LOG_TAIL_CHARS = 20_000


@admin.register(Node)
class NodeAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = ("hostname", "port", "slave_id", "is_active", "is_paused", "executions_link")
    list_filter = ("is_active", "is_paused")
    search_fields = ("hostname", "slave_id")
    readonly_fields = ("created", "last_modified", "executions_link")

    @admin.display(description="executions")
    def executions_link(self, node: Node):
        if node.pk is None:
            return "-"
        return admin_changelist_link(JobExecution, "executions", node__id__exact=node.pk)


ErrorCategoryFilter = titled_filter(admin.ChoicesFieldListFilter, "error category")


@admin.register(JobExecution)
class JobExecutionAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "id",
        "job_link",
        "status",
        "node",
        "error_link",
        "created",
        "started",
        "ended",
        "job_exit_code",
    )
    list_display_links = ("id",)
    list_filter = ("status", ("error__category", ErrorCategoryFilter))
    list_select_related = ("node", "error")
    list_defer = ("stdout", "stderr")
    sortable_by = ("id",)
    ordering = ("-id",)
    # A number matches an execution id or a job id (both indexed).
    search_id_fields = ("pk", "job_id")
    search_text_fields = ("node__hostname",)
    search_help_text = "An execution id or job id, or part of a node's host name."
    detail_select_related = ("job__job_type", "node", "error")
    detail_defer = ("stdout", "stderr", "job__data", "job__results", "job__job_type__interface")

    fieldsets = (
        (None, {"fields": ("id", "status", "job_link", "job_type_link", "node", "error_link")}),
        ("Command", {"fields": ("command_arguments", "timeout")}),
        (
            "Tasks",
            {
                "fields": (
                    ("pre_started", "pre_completed", "pre_exit_code"),
                    ("job_started", "job_completed", "job_exit_code"),
                    ("post_started", "post_completed", "post_exit_code"),
                )
            },
        ),
        ("Times", {"fields": ("created", "queued", "started", "ended", "last_modified")}),
        ("Logs", {"fields": ("stdout_tail", "stderr_tail")}),
    )
    readonly_fields = (
        "id",
        "status",
        "job_link",
        "job_type_link",
        "node",
        "error_link",
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
        "stdout_tail",
        "stderr_tail",
    )

    @admin.display(description="job")
    def job_link(self, job_exe: JobExecution):
        return admin_change_link_by_id(Job, job_exe.job_id, f"job {job_exe.job_id}")

    @admin.display(description="job type")
    def job_type_link(self, job_exe: JobExecution):
        return admin_change_link(job_exe.job.job_type)

    @admin.display(description="error")
    def error_link(self, job_exe: JobExecution):
        return admin_change_link(job_exe.error)

    @admin.display(description="stdout")
    def stdout_tail(self, job_exe: JobExecution):
        return self._log_tail(job_exe, "stdout")

    @admin.display(description="stderr")
    def stderr_tail(self, job_exe: JobExecution):
        return self._log_tail(job_exe, "stderr")

    def _log_tail(self, job_exe: JobExecution, name: str):
        tails = getattr(job_exe, "_log_tails", None)
        if tails is None:
            tails = (
                JobExecution.objects.filter(pk=job_exe.pk)
                .values(
                    stdout_tail=Right("stdout", LOG_TAIL_CHARS),
                    stdout_length=Length("stdout"),
                    stderr_tail=Right("stderr", LOG_TAIL_CHARS),
                    stderr_length=Length("stderr"),
                )
                .first()
            ) or {}
            job_exe._log_tails = tails
        text, length = tails.get(f"{name}_tail"), tails.get(f"{name}_length")
        if not text:
            return "-"
        if length and length > LOG_TAIL_CHARS:
            return format_html(
                "<p>The last {} of {} characters:</p><pre>{}</pre>",
                f"{LOG_TAIL_CHARS:,}",
                f"{length:,}",
                text,
            )
        return format_html("<pre>{}</pre>", text)

    def get_queryset(self, request: HttpRequest) -> QuerySet[JobExecution]:
        return super().get_queryset(request).defer("stdout", "stderr")


@admin.register(JobExecutionCount)
class JobExecutionCountAdmin(LedgerAdmin):
    """The execution counts ``/job-executions/`` sums, per status, job type and node."""

    list_display = ("status", "job_type", "node", "count")
    list_filter = ("status", "folded")
    list_select_related = ("job_type", "node")


@admin.register(JobExecutionDayTime)
class JobExecutionDayTimeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The completed executions' times per day and job type that the job type metrics
    plot: rows appended by PostgreSQL triggers (a day's rows are summed), never edited."""

    list_display = ("occurred", "job_type", "count", "run_count", "run_sum", "run_min",
                    "run_max", "stale")
    list_filter = ("stale",)
    list_select_related = ("job_type",)
    date_hierarchy = "occurred"
    ordering = ("-occurred", "job_type", "id")
    fields = (
        "occurred", "job_type", "stale", "count",
        *(f"{m}_{kind}" for m in EXECUTION_MEASURES for kind in ("count", "sum", "min", "max")),
    )
    readonly_fields = fields
