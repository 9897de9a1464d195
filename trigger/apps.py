from django.apps import AppConfig


class TriggerConfig(AppConfig):
    name = "trigger"
    default_auto_field = "django.db.models.BigAutoField"
