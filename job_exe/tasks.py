"""The Procrastinate task that runs an execution (found by procrastinate.contrib.django,
which imports every app's ``tasks`` module)."""

from __future__ import annotations

from procrastinate import JobContext
from procrastinate.contrib.django import app

from job.services import JOBS_QUEUE
from job_exe import runner

# Set by manage.py scale_worker before its Procrastinate worker starts: the Node of this
# host, on which this process runs its executions.
WORKER_NODE: dict[str, int] = {}


@app.task(queue=JOBS_QUEUE, pass_context=True, name="job_exe.tasks.run_execution")
def run_execution(context: JobContext, job_exe_id: int) -> str:
    """Run one execution (``job_exe.runner``); a cancel arrives as Procrastinate's abort
    request, which ``should_abort`` reads."""
    return runner.run_execution(
        job_exe_id=job_exe_id, node_id=WORKER_NODE["id"], should_abort=context.should_abort
    )
