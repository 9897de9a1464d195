"""Admin for job types, revisions, jobs and their input-file links.

Jobs are read here, never saved: cancel goes through ``job_cancel_many`` (the API's
``job_cancel``, one transaction per job), as an action on the list and a button on the
job's page. The job list is built for a million rows: no full count, a fixed number of
queries per page, filters and the default order served by the job indexes.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from job.models import (
    Job,
    JobCount,
    JobDayCount,
    JobInputFile,
    JobLoadChange,
    JobStatusTimeCount,
    JobTimeCount,
    JobType,
    JobTypeRevision,
)
from job.services import CANCELABLE_STATUSES, job_cancel_many
from job_exe.models import JobExecution
from recipe.models import RecipeJob
from scale.admin_kit import (
    LargeTableAdmin,
    LedgerAdmin,
    ProtectedCountDeleteMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_change_link,
    admin_change_link_by_id,
    admin_changelist_link,
    pretty_json,
    titled_filter,
)
from storage.models import ScaleFile
from trigger.models import TriggerEvent

# An action runs inside one web request; bigger cancels belong to `manage.py cancel_jobs`.
CANCEL_ACTION_LIMIT = 1000
# Files listed on a job's page; the rest are one click away, on the filtered list.
FILES_SHOWN = 50


@admin.register(JobType)
class JobTypeAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "title",
        "category",
        "is_active",
        "is_paused",
        "is_system",
        "priority",
        "revision_num",
        "jobs_link",
    )
    list_filter = ("category", "is_active", "is_paused", "is_system", "is_operational")
    search_fields = ("name", "title")
    ordering = ("name", "version", "id")
    readonly_fields = ("revision_num", "created", "last_modified", "jobs_link")

    @admin.display(description="jobs")
    def jobs_link(self, job_type: JobType):
        if job_type.pk is None:
            return "-"
        return admin_changelist_link(Job, "jobs", job_type__id__exact=job_type.pk)


@admin.register(JobTypeRevision)
class JobTypeRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Revisions are history: jobs keep the one they ran, so they are never edited."""

    list_display = ("id", "job_type", "revision_num", "created")
    list_select_related = ("job_type",)
    search_fields = ("job_type__name",)
    fields = ("job_type", "revision_num", "interface_pretty", "created")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[JobTypeRevision]:
        return super().get_queryset(request).defer("job_type__interface")

    @admin.display(description="interface")
    def interface_pretty(self, revision: JobTypeRevision):
        return pretty_json(revision.interface)


class JobExecutionInline(ReadOnlyInline):
    """A job's executions, newest first, without their logs."""

    model = JobExecution
    fields = (
        "status",
        "node",
        "error",
        "created",
        "queued",
        "started",
        "ended",
        "pre_exit_code",
        "job_exit_code",
        "post_exit_code",
    )
    readonly_fields = fields
    ordering = ("-created", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[JobExecution]:
        return super().get_queryset(request).select_related("node", "error").defer(
            "stdout", "stderr"
        )


class RecipeJobInline(ReadOnlyInline):
    """The recipes this job is part of."""

    model = RecipeJob
    fields = ("recipe", "recipe_type", "job_name")
    readonly_fields = fields
    verbose_name = "recipe"
    verbose_name_plural = "recipes"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecipeJob]:
        return super().get_queryset(request).select_related("recipe__recipe_type").defer(
            "recipe__data", "recipe__recipe_type__definition"
        )

    @admin.display(description="recipe type")
    def recipe_type(self, link: RecipeJob):
        return admin_change_link(link.recipe.recipe_type)


JobTypeCategoryFilter = titled_filter(admin.AllValuesFieldListFilter, "job type category")
ErrorCategoryFilter = titled_filter(admin.ChoicesFieldListFilter, "error category")


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = (
        "id",
        "job_type_link",
        "status",
        "error_link",
        "event_link",
        "num_exes",
        "priority",
        "created",
        "last_modified",
    )
    list_display_links = ("id",)
    list_filter = (
        "status",
        ("job_type__category", JobTypeCategoryFilter),
        ("error__category", ErrorCategoryFilter),
    )
    list_select_related = ("job_type", "error")
    list_defer = ("data", "results", "job_type__interface")
    # Sorting by another column would sort a million rows; these two have indexes.
    sortable_by = ("id", "last_modified")
    ordering = ("-last_modified", "-id")
    date_hierarchy = "last_modified"
    search_id_fields = ("pk",)
    search_text_fields = ("job_type__name",)
    search_help_text = "A job id, or part of a job type name."
    actions = ("cancel_selected_jobs",)
    inlines = (JobExecutionInline, RecipeJobInline)
    detail_select_related = ("job_type", "job_type_rev", "event", "error")
    detail_defer = ("job_type__interface", "job_type_rev__interface")
    change_form_template = "admin/job/job/change_form.html"

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "status",
                    "job_type_link",
                    "job_type_rev_link",
                    "event_link",
                    "error_link",
                    "executions_link",
                )
            },
        ),
        (
            "Resources",
            {
                "fields": (
                    "priority",
                    "num_exes",
                    "timeout",
                    "max_tries",
                    "cpus_required",
                    "mem_required",
                    "disk_in_required",
                    "disk_out_required",
                )
            },
        ),
        (
            "Times",
            {
                "fields": (
                    "created",
                    "queued",
                    "started",
                    "ended",
                    "last_status_change",
                    "last_modified",
                )
            },
        ),
        ("Files", {"fields": ("input_files", "output_files")}),
        ("Data", {"fields": ("data_pretty", "results_pretty")}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    # Links -------------------------------------------------------------------------

    @admin.display(description="job type", ordering="job_type__name")
    def job_type_link(self, job: Job):
        return admin_change_link(job.job_type)

    @admin.display(description="job type revision")
    def job_type_rev_link(self, job: Job):
        return admin_change_link(job.job_type_rev, f"revision {job.job_type_rev.revision_num}")

    @admin.display(description="event")
    def event_link(self, job: Job):
        return admin_change_link_by_id(TriggerEvent, job.event_id, f"event {job.event_id}")

    @admin.display(description="error")
    def error_link(self, job: Job):
        return admin_change_link(job.error)

    @admin.display(description="executions")
    def executions_link(self, job: Job):
        noun = "execution" if job.num_exes == 1 else "executions"
        return admin_changelist_link(
            JobExecution, f"{job.num_exes} {noun}", job__id__exact=job.pk
        )

    @admin.display(description="input files")
    def input_files(self, job: Job):
        links = list(
            JobInputFile.objects.filter(job=job)
            .select_related("input_file__workspace")
            .defer("input_file__meta_data", "input_file__geometry")
            .order_by("id")[: FILES_SHOWN + 1]
        )
        rows = [(link.job_input, link.input_file) for link in links[:FILES_SHOWN]]
        more = (
            admin_changelist_link(JobInputFile, "all input files", job__id__exact=job.pk)
            if len(links) > FILES_SHOWN
            else None
        )
        return _file_table(rows, more, first_column="input")

    @admin.display(description="output files")
    def output_files(self, job: Job):
        products = list(
            ScaleFile.objects.filter(job=job)
            .select_related("workspace")
            .defer("meta_data", "geometry")
            .order_by("id")[: FILES_SHOWN + 1]
        )
        rows = [
            (admin_change_link_by_id(JobExecution, f.job_exe_id, f"execution {f.job_exe_id}"), f)
            for f in products[:FILES_SHOWN]
        ]
        more = (
            admin_changelist_link(ScaleFile, "all output files", job__id__exact=job.pk)
            if len(products) > FILES_SHOWN
            else None
        )
        return _file_table(rows, more, first_column="execution")

    @admin.display(description="data")
    def data_pretty(self, job: Job):
        return pretty_json(job.data)

    @admin.display(description="results")
    def results_pretty(self, job: Job):
        return pretty_json(job.results)

    # Cancel ------------------------------------------------------------------------

    @admin.action(description="Cancel selected jobs", permissions=["change"])
    def cancel_selected_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        job_ids = list(
            queryset.order_by("id").values_list("id", flat=True)[: CANCEL_ACTION_LIMIT + 1]
        )
        if len(job_ids) > CANCEL_ACTION_LIMIT:
            self.message_user(
                request,
                f"Nothing canceled: more than {CANCEL_ACTION_LIMIT} jobs are selected. Narrow "
                f"the selection, or run `manage.py cancel_jobs` with the same filters.",
                messages.ERROR,
            )
            return
        self._report(request, job_cancel_many(job_ids=job_ids))

    def cancel_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The job page's Cancel button: the action above, for one job."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        summary = job_cancel_many(job_ids=[object_id])
        self._report(request, summary)
        if summary.not_found:
            return HttpResponseRedirect(reverse("admin:job_job_changelist"))
        return HttpResponseRedirect(reverse("admin:job_job_change", args=[object_id]))

    def _report(self, request: HttpRequest, summary) -> None:
        level = messages.SUCCESS if summary.canceled else messages.WARNING
        self.message_user(request, summary.describe(), level)

    def get_urls(self):
        cancel = path(
            "<int:object_id>/cancel/",
            self.admin_site.admin_view(self.cancel_view),
            name="job_job_cancel",
        )
        return [cancel, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_cancel_jobs"] = self.has_change_permission(request)
        extra_context["cancelable_statuses"] = [str(s) for s in CANCELABLE_STATUSES]
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(JobCount)
class JobCountAdmin(LedgerAdmin):
    """The job counts the API lists sum, per status, job type and error."""

    list_display = ("status", "job_type", "error", "count")
    list_filter = ("status", "folded")
    list_select_related = ("job_type", "error")


@admin.register(JobTimeCount, JobStatusTimeCount)
class JobBucketCountAdmin(LedgerAdmin):
    """The job counts per time bucket that a window sums: of last_modified (the lists),
    of last_status_change (a job type's counts of the last hours)."""

    list_display = ("width", "bucket", "status", "job_type", "error", "count")
    list_filter = ("width", "status", "folded")
    list_select_related = ("job_type", "error")
    ordering = ("-bucket", "width")


@admin.register(JobDayCount)
class JobDayCountAdmin(LedgerAdmin):
    """The jobs that ended each day, which the job type metrics plot."""

    list_display = ("occurred", "status", "job_type", "error", "count")
    list_filter = ("status", "folded")
    list_select_related = ("job_type", "error")
    date_hierarchy = "occurred"
    ordering = ("-occurred", "job_type", "status")


@admin.register(JobLoadChange)
class JobLoadChangeAdmin(LedgerAdmin):
    """The hourly changes of the job load that /load/ sums."""

    list_display = ("hour", "job_type", "pending", "queued", "running")
    list_select_related = ("job_type",)
    ordering = ("-hour", "job_type")


@admin.register(JobInputFile)
class JobInputFileAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Which files each job read; derived from the job's data, so read-only."""

    list_display = ("id", "job_link", "job_input", "input_file_link")
    list_select_related = ("input_file",)
    list_defer = ("input_file__meta_data", "input_file__geometry")
    ordering = ("-id",)
    sortable_by = ("id",)
    search_id_fields = ("pk", "job_id", "input_file_id")
    search_text_fields = ("job_input",)
    search_help_text = "A link id, job id or file id, or part of an input name."
    fields = ("job_link", "job_input", "input_file_link")
    readonly_fields = fields
    detail_select_related = ("input_file",)

    @admin.display(description="job")
    def job_link(self, link: JobInputFile):
        return admin_change_link_by_id(Job, link.job_id, f"job {link.job_id}")

    @admin.display(description="input file")
    def input_file_link(self, link: JobInputFile):
        return admin_change_link(link.input_file)


def _file_table(rows, more, *, first_column: str):
    """Files as a small HTML table: first column, file link, workspace, media type, size."""
    if not rows:
        return "-"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                first,
                admin_change_link(scale_file),
                scale_file.workspace.name,
                scale_file.media_type,
                f"{scale_file.file_size:,}",
            )
            for first, scale_file in rows
        ),
    )
    table = format_html(
        "<table><thead><tr><th>{}</th><th>file</th><th>workspace</th><th>media type</th>"
        "<th>bytes</th></tr></thead><tbody>{}</tbody></table>",
        first_column,
        body,
    )
    if more is not None:
        table = format_html("{}<p>{}</p>", table, more)
    return table

