"""gunicorn configuration for Scale Job Services (production and ``make run``).

HOST and PORT choose the address (127.0.0.1:8000 by default), WEB_CONCURRENCY the number
of worker processes (one per core by default).

The workers are gevent's (``scale.gunicorn_worker``): each client connection is a
greenlet, so slow or idle clients hold no worker; request headers must arrive within
``keepalive`` seconds and bodies within SCALE_REQUEST_BODY_TIMEOUT. Each worker keeps a
pool of SCALE_DB_POOL_SIZE PostgreSQL sessions, and is replaced after about
``max_requests`` requests (with jitter, so that they do not all restart at once), which
bounds its memory.

X-Forwarded-Proto (and the other forwarded headers) are trusted only with
DJANGO_SECURE_PROXY_SSL_HEADER=1, from FORWARDED_ALLOW_IPS (the local proxy,
127.0.0.1 and ::1, by default); otherwise from nobody. gunicorn's control socket is off
unless GUNICORN_CONTROL_SOCKET names a path for this instance.

Production: ``gunicorn -c gunicorn.conf.py`` from the project directory, with the
environment variables README.md lists (DJANGO_DEBUG=0, DJANGO_SECRET_KEY, ...), behind a
proxy that terminates TLS; ``/health/`` is the load balancer's probe.
"""

import multiprocessing
import os
import sys

from scale import gunicorn_errors

# gunicorn's own errors (a request line too long, ...) as one line of text/plain.
gunicorn_errors.install()


def _refuse_the_published_key() -> None:
    from scale.secret_key import missing_secret_key

    debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if message := missing_secret_key(os.environ, debug=debug, allowed_hosts=hosts):
        sys.exit(f"gunicorn: {message}")


_refuse_the_published_key()



def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "scale.gunicorn_worker.Worker"
# Open client connections per worker, idle ones included.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
timeout = 60
graceful_timeout = 30
# Also the time a connection's request line and headers have to arrive.
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 5
if _env_flag("DJANGO_SECURE_PROXY_SSL_HEADER"):
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    # The default path is shared by every gunicorn of the user: two instances on one
    # host would take each other's.
    control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
wsgi_app = "scale.wsgi:application"
# The longest request line gunicorn allows (its default is 4094 bytes): repeated filters
# (job_id=1&job_id=2...) make long query strings. Longer lines get a 414 (see the schema).
limit_request_line = 8190


def post_worker_init(worker) -> None:
    """Import the URLconf (every view, serializer and filter), then take the worker's
    objects out of the garbage collector's sight and let it run less often.

    A 1000-row page allocates hundreds of thousands of objects; with Python's defaults
    the collector ran about 1,300 times for it, re-scanning Django's own objects, and
    took 24 ms of the request (15 ms frozen, 7 ms frozen with gen0 at 50,000, measured
    in-process on 1M jobs). Reference counting still frees almost everything at once;
    only cycles wait a little longer.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — the import is the point
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
