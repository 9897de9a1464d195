"""Admin for trigger rules (a small table) and trigger events (one or more per job)."""

from __future__ import annotations

from django.contrib import admin

from job.models import Job
from recipe.models import Recipe
from scale.admin_kit import (
    LargeTableAdmin,
    ProtectedCountDeleteMixin,
    admin_change_link,
    admin_changelist_link,
    titled_filter,
)
from trigger.models import TriggerEvent, TriggerRule


@admin.register(TriggerRule)
class TriggerRuleAdmin(ProtectedCountDeleteMixin, admin.ModelAdmin):
    list_display = ("id", "name", "type", "is_active", "created", "archived", "events_link")
    list_filter = ("type", "is_active")
    search_fields = ("name", "type")
    ordering = ("id",)
    readonly_fields = ("created", "last_modified", "events_link")

    @admin.display(description="events")
    def events_link(self, rule: TriggerRule):
        if rule.pk is None:
            return "-"
        return admin_changelist_link(TriggerEvent, "events", rule__id__exact=rule.pk)


RuleTypeFilter = titled_filter(admin.AllValuesFieldListFilter, "rule type")


@admin.register(TriggerEvent)
class TriggerEventAdmin(LargeTableAdmin):
    list_display = ("id", "type", "rule_link", "occurred", "jobs_link")
    list_display_links = ("id",)
    # Distinct values of a column of this big table would scan it; rules are few.
    list_filter = (("rule__type", RuleTypeFilter),)
    list_select_related = ("rule",)
    list_defer = ("description", "rule__configuration")
    sortable_by = ("id", "occurred")
    ordering = ("-occurred", "-id")
    autocomplete_fields = ("rule",)
    search_id_fields = ("pk",)
    search_text_fields = ("type",)
    search_help_text = "An event id, or part of an event type."
    fields = ("type", "rule", "description", "occurred", "jobs_link", "recipes_link")
    readonly_fields = ("jobs_link", "recipes_link")

    @admin.display(description="rule")
    def rule_link(self, event: TriggerEvent):
        return admin_change_link(event.rule)

    @admin.display(description="jobs")
    def jobs_link(self, event: TriggerEvent):
        if event.pk is None:
            return "-"
        return admin_changelist_link(Job, "jobs", event__id__exact=event.pk)

    @admin.display(description="recipes")
    def recipes_link(self, event: TriggerEvent):
        if event.pk is None:
            return "-"
        return admin_changelist_link(Recipe, "recipes", event__id__exact=event.pk)
