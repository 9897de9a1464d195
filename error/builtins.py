"""The errors workers give the executions they fail themselves (``job_exe.runner``).

``builtin_error`` creates one the first time a worker needs it (and again if it was
deleted), so the error table holds only errors that some job could have.
"""

from __future__ import annotations

from error.models import Error

WORKER_ERRORS = {
    "task-timeout": ("Task Timeout", "The task ran longer than the job type allows", "SYSTEM"),
    "node-lost": ("Node Lost", "The worker running the task stopped answering", "SYSTEM"),
    "docker-unavailable": (
        "Docker Unavailable", "The job type runs in Docker, which the worker does not have",
        "SYSTEM",
    ),
    "workspace-unavailable": (
        "Workspace Unavailable",
        "An input file or an output workspace is not reachable from the worker", "SYSTEM",
    ),
    "task-launch": ("Task Launch Failed", "The job type's command could not be started",
                    "SYSTEM"),
    "algorithm-unknown": ("Algorithm Error", "The algorithm exited with an error", "ALGORITHM"),
    "invalid-results-manifest": (
        "Invalid Results Manifest",
        "The algorithm's results manifest is missing, malformed or names unknown outputs",
        "ALGORITHM",
    ),
}


def builtin_error(name: str) -> Error:
    title, description, category = WORKER_ERRORS[name]
    error, _ = Error.objects.get_or_create(
        name=name,
        defaults={"title": title, "description": description, "category": category,
                  "is_builtin": True},
    )
    return error
