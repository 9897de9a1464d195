"""Settings for benchmark runs: the production settings plus a trivial DRF endpoint and
the benchmark's empty Procrastinate task.

The trivial endpoint measures the fixed cost of a request through gunicorn, Django and
DRF, which the benchmark subtracts before comparing an endpoint with its SQL floor. The
empty task (``bench/engine_tasks.py``) measures Procrastinate's own throughput beside the
jobs' (``bench/workers.py``).
"""

from scale.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
PROCRASTINATE_IMPORT_PATHS = ["bench.engine_tasks"]
