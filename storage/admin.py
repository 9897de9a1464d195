"""Admin for workspaces (a small table) and files (source files and products: big)."""

from __future__ import annotations

import re

from django.contrib import admin
from django.db import models

from job.models import Job
from job_exe.models import JobExecution
from scale.admin_kit import (
    LargeTableAdmin,
    ProtectedCountDeleteMixin,
    admin_change_link_by_id,
    admin_changelist_link,
)
from storage.models import ScaleFile, Workspace

_UUID = re.compile(r"[0-9a-f]{32}")


@admin.register(Workspace)
class WorkspaceAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "title", "base_url", "is_active", "created", "files_link")
    list_filter = ("is_active",)
    search_fields = ("name", "title")
    ordering = ("name",)
    readonly_fields = ("created", "last_modified", "files_link")
    # Django 6 makes https the scheme of a bare host name; say so now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="files")
    def files_link(self, workspace: Workspace):
        if workspace.pk is None:
            return "-"
        return admin_changelist_link(ScaleFile, "files", workspace__id__exact=workspace.pk)


@admin.register(ScaleFile)
class ScaleFileAdmin(LargeTableAdmin):
    list_display = (
        "id",
        "file_name",
        "workspace",
        "media_type",
        "file_size",
        "is_deleted",
        "job_link",
        "created",
    )
    list_display_links = ("id", "file_name")
    list_filter = ("workspace", "is_deleted", "is_operational", "is_published")
    list_select_related = ("workspace",)
    list_defer = ("meta_data", "geometry", "workspace__description")
    sortable_by = ("id",)
    ordering = ("-id",)
    autocomplete_fields = ("workspace", "job_type")
    raw_id_fields = ("job", "job_exe")
    search_id_fields = ("pk",)
    search_text_fields = ("file_name",)
    search_help_text = "A file id or uuid, or part of a file name."
    readonly_fields = ("created", "last_modified", "job_link", "job_exe_link")

    @admin.display(description="job")
    def job_link(self, scale_file: ScaleFile):
        return admin_change_link_by_id(Job, scale_file.job_id, f"job {scale_file.job_id}")

    @admin.display(description="job execution")
    def job_exe_link(self, scale_file: ScaleFile):
        return admin_change_link_by_id(
            JobExecution, scale_file.job_exe_id, f"execution {scale_file.job_exe_id}"
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lower()
        if _UUID.fullmatch(term):
            return queryset.filter(uuid=term), False
        return super().get_search_results(request, queryset, search_term)


