from django.apps import AppConfig


class JobExeConfig(AppConfig):
    name = "job_exe"
    default_auto_field = "django.db.models.BigAutoField"
