from django.db import models


class TriggerRule(models.Model):
    """A rule that creates jobs or recipes when an event matches it."""

    type = models.CharField(max_length=50, db_index=True)
    name = models.CharField(max_length=50, blank=True)
    configuration = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "trigger_rule"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"{self.type} rule {self.pk}"


class TriggerEvent(models.Model):
    """Something that happened (a file arrived, a user asked) and caused jobs to run."""

    type = models.CharField(max_length=50, db_index=True)
    rule = models.ForeignKey(TriggerRule, on_delete=models.PROTECT, blank=True, null=True)
    description = models.JSONField(default=dict)
    occurred = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "trigger_event"
        ordering = ["occurred", "id"]

    def __str__(self) -> str:
        return f"{self.type} event {self.pk}"
