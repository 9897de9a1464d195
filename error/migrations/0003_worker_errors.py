"""The errors that workers give executions they fail themselves (job_exe.runner)."""

from django.db import migrations

WORKER_ERRORS = (
    ("task-timeout", "Task Timeout", "The task ran longer than the job type allows", "SYSTEM"),
    ("node-lost", "Node Lost", "The worker running the task stopped answering", "SYSTEM"),
    ("docker-unavailable", "Docker Unavailable",
     "The job type runs in Docker, which the worker does not have", "SYSTEM"),
    ("workspace-unavailable", "Workspace Unavailable",
     "An input file or an output workspace is not reachable from the worker", "SYSTEM"),
    ("task-launch", "Task Launch Failed", "The job type's command could not be started",
     "SYSTEM"),
    ("algorithm-unknown", "Algorithm Error", "The algorithm exited with an error", "ALGORITHM"),
    ("invalid-results-manifest", "Invalid Results Manifest",
     "The algorithm's results manifest is missing, malformed or names unknown outputs",
     "ALGORITHM"),
)


def add_worker_errors(apps, schema_editor):
    Error = apps.get_model("error", "Error")
    for name, title, description, category in WORKER_ERRORS:
        Error.objects.get_or_create(
            name=name,
            defaults={"title": title, "description": description, "category": category,
                      "is_builtin": True},
        )


class Migration(migrations.Migration):
    dependencies = [("error", "0002_error_is_builtin")]

    operations = [migrations.RunPython(add_worker_errors, migrations.RunPython.noop)]
