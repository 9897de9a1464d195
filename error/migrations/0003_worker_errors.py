"""The errors that workers give executions they fail themselves (error/builtins.py)."""

from django.db import migrations

from error.builtins import WORKER_ERRORS


def add_worker_errors(apps, schema_editor):
    Error = apps.get_model("error", "Error")
    for name, (title, description, category) in WORKER_ERRORS.items():
        Error.objects.get_or_create(
            name=name,
            defaults={"title": title, "description": description, "category": category,
                      "is_builtin": True},
        )


class Migration(migrations.Migration):
    dependencies = [("error", "0002_error_is_builtin")]

    operations = [migrations.RunPython(add_worker_errors, migrations.RunPython.noop)]
