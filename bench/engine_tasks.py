"""The empty Procrastinate task of ``make bench-workers`` (``bench/workers.py``): the
engine's own cost per job, with nothing of Scale's in it.

Workers know it only when started with ``DJANGO_SETTINGS_MODULE=bench.settings``, whose
``PROCRASTINATE_IMPORT_PATHS`` names this module; production workers never load it.
"""

from procrastinate.contrib.django import app

from job.services import JOBS_QUEUE

NOOP_TASK = "bench.engine_tasks.noop"


@app.task(queue=JOBS_QUEUE, name=NOOP_TASK)
def noop() -> None:
    """Nothing: what is measured is fetching, starting and finishing the job."""
