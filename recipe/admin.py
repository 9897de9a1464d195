"""Admin for recipe types (a small table), recipes and their job links (big)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from job.models import Job
from recipe.models import Recipe, RecipeJob, RecipeType
from scale.admin_kit import (
    LargeTableAdmin,
    ProtectedCountDeleteMixin,
    ReadOnlyInline,
    admin_change_link_by_id,
    admin_changelist_link,
)
from trigger.models import TriggerEvent


@admin.register(RecipeType)
class RecipeTypeAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "version", "title", "created", "last_modified", "recipes_link")
    search_fields = ("name", "title")
    ordering = ("name", "version", "id")
    readonly_fields = ("created", "last_modified", "recipes_link")

    @admin.display(description="recipes")
    def recipes_link(self, recipe_type: RecipeType):
        if recipe_type.pk is None:
            return "-"
        return admin_changelist_link(Recipe, "recipes", recipe_type__id__exact=recipe_type.pk)


class RecipeJobInline(ReadOnlyInline):
    """The jobs of a recipe, by the names its definition gives them."""

    model = RecipeJob
    fields = ("job_name", "job_link", "job_status")
    readonly_fields = fields
    verbose_name = "job"
    verbose_name_plural = "jobs"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecipeJob]:
        return super().get_queryset(request).select_related("job").only(
            "id", "recipe_id", "job_name", "job_id", "job__status"
        )

    @admin.display(description="job")
    def job_link(self, link: RecipeJob):
        return admin_change_link_by_id(Job, link.job_id, f"job {link.job_id}")

    @admin.display(description="status")
    def job_status(self, link: RecipeJob):
        return link.job.status


@admin.register(Recipe)
class RecipeAdmin(LargeTableAdmin):
    list_display = ("id", "recipe_type", "event_link", "created", "completed", "last_modified")
    list_display_links = ("id",)
    list_filter = ("recipe_type", ("completed", admin.EmptyFieldListFilter))
    list_select_related = ("recipe_type",)
    list_defer = ("data", "recipe_type__definition")
    sortable_by = ("id",)
    ordering = ("-id",)
    autocomplete_fields = ("recipe_type",)
    raw_id_fields = ("event",)
    search_id_fields = ("pk",)
    search_text_fields = ("recipe_type__name",)
    search_help_text = "A recipe id, or part of a recipe type name."
    readonly_fields = ("created", "last_modified", "event_link")
    inlines = (RecipeJobInline,)

    @admin.display(description="event")
    def event_link(self, recipe: Recipe):
        return admin_change_link_by_id(TriggerEvent, recipe.event_id, f"event {recipe.event_id}")


@admin.register(RecipeJob)
class RecipeJobAdmin(LargeTableAdmin):
    list_display = ("id", "recipe_link", "job_link", "job_name")
    list_display_links = ("id",)
    sortable_by = ("id",)
    ordering = ("-id",)
    raw_id_fields = ("recipe", "job")
    # A number matches a link id, a recipe id or a job id.
    search_id_fields = ("pk", "recipe_id", "job_id")
    search_text_fields = ("job_name",)
    search_help_text = "A link id, recipe id or job id, or part of a job name."

    @admin.display(description="recipe")
    def recipe_link(self, link: RecipeJob):
        return admin_change_link_by_id(Recipe, link.recipe_id, f"recipe {link.recipe_id}")

    @admin.display(description="job")
    def job_link(self, link: RecipeJob):
        return admin_change_link_by_id(Job, link.job_id, f"job {link.job_id}")


