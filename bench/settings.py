"""Settings for benchmark runs: the production settings plus a trivial DRF endpoint.

The trivial endpoint measures the fixed cost of a request through gunicorn, Django and
DRF, which the benchmark subtracts before comparing an endpoint with its SQL floor.
"""

from scale.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
