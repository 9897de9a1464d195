"""Admin for errors: a small table, with links to the jobs and executions that hit each."""

from __future__ import annotations

from django.contrib import admin

from error.models import Error
from job.models import Job
from job_exe.models import JobExecution
from scale.admin_kit import ProtectedCountDeleteMixin, admin_changelist_link


@admin.register(Error)
class ErrorAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "title", "category", "jobs_link", "executions_link", "last_modified")
    list_filter = ("category",)
    search_fields = ("name", "title", "description")
    ordering = ("name",)
    readonly_fields = ("created", "last_modified", "jobs_link", "executions_link")

    @admin.display(description="jobs")
    def jobs_link(self, error: Error):
        if error.pk is None:
            return "-"
        return admin_changelist_link(Job, "jobs", error__id__exact=error.pk)

    @admin.display(description="executions")
    def executions_link(self, error: Error):
        if error.pk is None:
            return "-"
        return admin_changelist_link(JobExecution, "executions", error__id__exact=error.pk)
