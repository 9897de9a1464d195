from django.apps import AppConfig


class ErrorConfig(AppConfig):
    name = "error"
    default_auto_field = "django.db.models.BigAutoField"
