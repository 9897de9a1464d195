"""gunicorn configuration for Scale Job Services (production and ``make run``).

HOST and PORT choose the address (127.0.0.1:8000 by default), WEB_CONCURRENCY the number
of worker processes (one per core by default). Database connections persist across
requests (CONN_MAX_AGE in the settings).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
wsgi_app = "scale.wsgi:application"
