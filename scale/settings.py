"""Settings for Scale Job Services.

Everything an operator changes comes from the environment, with defaults that are safe
for a local checkout: ``DATABASE_URL``, ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``,
``DJANGO_ALLOWED_HOSTS``, ``SCALE_READS_REQUIRE_LOGIN``, ``DJANGO_CSRF_ANGULAR`` (the CSRF
cookie and header names AngularJS uses), and the HTTPS settings of a production
deployment (``DJANGO_SECURE_*``, ``DJANGO_CSRF_TRUSTED_ORIGINS``): off by default, so
that ``make run`` serves plain http on 127.0.0.1; README.md lists the set with which
``manage.py check --deploy`` reports nothing.
"""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from scale import __version__
from scale.database import database_settings
from scale.secret_key import missing_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 0, not {raw!r}")
    return value


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_url_prefix(name: str) -> str | None:
    raw = os.environ.get(name, "")
    if not raw:
        return None
    if not re.fullmatch(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+", raw):
        raise ImproperlyConfigured(
            f"{name} must be a URL path such as /api (a leading slash, none at the end), "
            f"not {raw!r}"
        )
    return raw


DEBUG = _env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-local-only-set-DJANGO_SECRET_KEY-in-production"
)
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
if message := missing_secret_key(os.environ, debug=DEBUG, allowed_hosts=ALLOWED_HOSTS):
    raise ImproperlyConfigured(message)
# The host (and port) of the service's public address, for absolute links; see scale.hosts.
SCALE_PUBLIC_HOST = os.environ.get("SCALE_PUBLIC_HOST", "").strip()
if SCALE_PUBLIC_HOST:
    from django.http.request import split_domain_port, validate_host

    if not validate_host(split_domain_port(SCALE_PUBLIC_HOST)[0], ALLOWED_HOSTS):
        raise ImproperlyConfigured(
            f"SCALE_PUBLIC_HOST {SCALE_PUBLIC_HOST!r} must be one of DJANGO_ALLOWED_HOSTS"
        )

INSTALLED_APPS = [
    # First: the admin kit's pagination template (scale/templates/admin/pagination.html)
    # replaces the admin's own for every model; its template tags live there too.
    "scale",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "error",
    "trigger",
    "storage",
    "job",
    "job_exe",
    "recipe",
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    # First: a load balancer's probe needs no allowed Host header and no HTTPS redirect.
    "scale.health.HealthCheckMiddleware",
    # A view that needs the unreachable database answers 503 (DRF views: errors.py).
    "scale.outage.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Absolute links are built on SCALE_PUBLIC_HOST, never on a port a client made up.
    "scale.hosts.PublicHostMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes wants: answers the admin login of a locked-out client.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scale.urls"
# The URL prefix the service is mounted under (the Scale web UI wants it at /api/ of its
# own origin): the WSGI variable that gunicorn itself reads to take the prefix off each
# request's path; Django puts it in every URL it builds (next/previous, redirects, pages).
FORCE_SCRIPT_NAME = _env_url_prefix("SCRIPT_NAME")
SESSION_ENGINE = "scale.sessions"
WSGI_APPLICATION = "scale.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]



def _served_by_gevent() -> bool:
    """Whether this process runs under gevent's monkey patching (gunicorn's gevent
    workers, see gunicorn.conf.py), where connections must come from a pool."""
    if "gevent.monkey" not in sys.modules:
        return False
    from gevent import monkey

    return monkey.is_module_patched("socket")


# PostgreSQL sessions per gevent worker process; requests beyond wait for one.
SCALE_DB_POOL_SIZE = _env_int("SCALE_DB_POOL_SIZE", 4) or 1

DATABASES = {
    "default": database_settings(
        url=os.environ.get("DATABASE_URL"),
        var_dir=VAR_DIR,
        # Concurrent test runs on one server each need their own throwaway database.
        test_name=os.environ.get("SCALE_TEST_DATABASE"),
        pool_size=SCALE_DB_POOL_SIZE if _served_by_gevent() else None,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first (it refuses a locked-out client before any password is checked), then
# Django's model backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed logins (the admin's form) and failed token authentications (the API), counted by
# django-axes in the database per client address and, separately, per user name: after
# SCALE_LOGIN_FAILURE_LIMIT failures either is refused (429) for SCALE_LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = _env_int("SCALE_LOGIN_FAILURE_LIMIT", 10) or 1
AXES_COOLOFF_TIME = timedelta(minutes=max(1, _env_int("SCALE_LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = "scale.login_throttle.lockout_parameters"
# The client's address is the connection's, unless a trusted proxy sets X-Forwarded-For
# (with DJANGO_SECURE_PROXY_SSL_HEADER=1, the proxy setting): a client must not choose it.
if _env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# One line per lockout in the log, not one per failed attempt.
AXES_ENABLE_ACCESS_FAILURE_LOG = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Absolute, with the mount prefix: a relative STATIC_URL takes the script prefix current
# when it is first read, which in gunicorn is at start-up (WhiteNoise), before any request.
STATIC_URL = f"{FORCE_SCRIPT_NAME or ''}/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
# Serve straight from the apps' static folders: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True

# Reads are open unless an operator closes them; cancel always needs job.change_job.
SCALE_READS_REQUIRE_LOGIN = _env_bool("SCALE_READS_REQUIRE_LOGIN", False)

SCALE_ANON_READ_RATE = os.environ.get("SCALE_ANON_READ_RATE", "").strip() or None

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous write a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "scale.api.authentication.StrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scale.api.permissions.ReadOpenWriteByModelPermission"],
    # What the schema reads each endpoint's query parameters from (its filterset_class);
    # the requests themselves are filtered by scale.api.views.ReadOnlyViewSet.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "scale.api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "scale.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "scale.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # SCALE_ANON_READ_RATE ("120/minute"): anonymous requests per client address and
    # gunicorn worker; unset, nothing is throttled (local tools, test suites).
    "DEFAULT_THROTTLE_CLASSES": (
        ["rest_framework.throttling.AnonRateThrottle"] if SCALE_ANON_READ_RATE else []
    ),
    "DEFAULT_THROTTLE_RATES": {"anon": SCALE_ANON_READ_RATE or None},
    "DEFAULT_SCHEMA_CLASS": "scale.api.schema.ScaleAutoSchema",
    # The browsable API describes each page with its operation's description in the schema.
    "VIEW_DESCRIPTION_FUNCTION": "scale.api.schema.view_description",
}

# The OpenAPI schema at /api/schema/ and its documentation at /api/docs/ (Swagger UI), with
# every asset served by the project itself: no internet access needed.
SPECTACULAR_SETTINGS = {
    "TITLE": "Scale Job Services",
    "DESCRIPTION": (
        "The Job Services of the Scale REST API: jobs, their executions and the files they "
        "read and wrote, job cancelation, and the job type, execution, node, error, recipe "
        "and system reads beside them. Reads need no credentials; a cancel needs a user "
        "with the job.change_job permission, by token (Authorization: Token <key>) or "
        "session. Errors are one line of text/plain, or {\"detail\": \"...\"} when the "
        "Accept header asks for JSON. Every path is also served under Scale 3.0's version "
        "prefix /v3/ (/v3/jobs/), with the same answers."
    ),
    "PREPROCESSING_HOOKS": ["scale.api.schema.without_version_prefix"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scale.api.schema.describe_enums",
        "scale.api.schema.add_servers",
    ],
    "VERSION": __version__,
    # OpenAPI 3.1: its schemas are JSON Schema 2020-12, where null is a type like any other
    # (type: [string, "null"], oneOf with {type: "null"}); 3.0's nullable beside an allOf,
    # which strict validators reject, cannot occur.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The one PATCH (cancel) needs its whole body: no all-optional "Patched" variant.
    "COMPONENT_SPLIT_PATCH": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Each choice set is one named enum that bodies and query parameters share (the job
    # and execution statuses share values, so each is named here).
    "ENUM_NAME_OVERRIDES": {
        "JobStatus": "job.models.Job.Status",
        "JobExecutionStatus": "job_exe.models.JobExecution.Status",
        "ErrorCategory": "error.models.Error.Category",
        "RequeueableJobStatus": "job.serializers.RequeueableStatus",
    },
}

# Workers (``manage.py scale_worker``): where executions keep their working directories,
# how long a RUNNING execution's lease lasts without renewal before it is found lost, and
# how often a worker renews the leases (and flushes the logs) of what it runs.
SCALE_WORK_DIR = Path(os.environ.get("SCALE_WORK_DIR") or VAR_DIR / "work")
SCALE_LEASE_SECONDS = _env_int("SCALE_LEASE_SECONDS", 10) or 10
SCALE_LEASE_RENEW_SECONDS = 1.0
# How long a node stays online after a worker's keep-alive: workers renew it every third
# of this, so a node is offline within this long after its last worker died.
SCALE_NODE_ALIVE_SECONDS = _env_int("SCALE_NODE_ALIVE_SECONDS", 30) or 30
# The most of each of stdout and stderr an execution keeps (the tail beyond is dropped).
SCALE_LOG_LIMIT_BYTES = _env_int("SCALE_LOG_LIMIT_BYTES", 1024 * 1024) or 1024 * 1024
# Procrastinate (procrastinate.contrib.django) finds the tasks in each app's tasks.py.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # An outage is logged by scale.outage when it starts and when it ends; Django's own
    # record of each 503 it caused would repeat it once per request.
    "filters": {"during_outage": {"()": "scale.outage.DuringOutageFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False,
                           "filters": ["during_outage"]},
    },
}

# A Content-Security-Policy on every answer (the admin, Swagger UI at /api/docs/, the
# browsable API): scripts and styles from the service itself only. Swagger UI and the admin
# set style attributes from their scripts, hence 'unsafe-inline' for styles (not scripts);
# Swagger UI draws its icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"

# HTTPS, for a deployment behind TLS: each switched on by the environment, never forced,
# so that a local checkout keeps serving plain http.
SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_bool(
    "DJANGO_SECURE_COOKIES", SECURE_SSL_REDIRECT
)
SECURE_HSTS_SECONDS = _env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if _env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips a client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# AngularJS's $http (the Scale web UI's) reads the CSRF token from the cookie XSRF-TOKEN and
# sends it back as X-XSRF-TOKEN on every write. Only the names change: the check is
# Django's own, and a session write without the header is still refused. The cookie stays
# readable by scripts (CSRF_COOKIE_HTTPONLY is False), which is what the scheme relies on.
if _env_bool("DJANGO_CSRF_ANGULAR", False):
    CSRF_COOKIE_NAME = "XSRF-TOKEN"
    CSRF_HEADER_NAME = "HTTP_X_XSRF_TOKEN"
