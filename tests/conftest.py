import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def server_directory() -> Path:
    """A new directory for an embedded server's data, removed by the caller.

    Not under pytest's temporary directory: pytest keeps that one private to its user
    (0700), and as root pgserver runs the server as an unprivileged user of its own,
    which must reach the data directory.
    """
    root = Path(tempfile.mkdtemp(prefix="scale-test-pg-"))
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
    return root


@pytest.fixture
def pg_directory():
    root = server_directory()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def throwaway_service():
    """An embedded PostgreSQL of its own (a fresh data directory), migrated, with 400 demo
    jobs and an operator's token: for the tests that kill or stop the database server.

    Yields (pgdata, environment for manage.py and gunicorn, token); stops the server after.
    """
    from scale.embedded_pg import ensure_server, stop_server
    from tests.served import clean_environment, database_url, manage

    root = server_directory()
    pgdata = root / "pgdata"
    socket_dir = ensure_server(pgdata=pgdata, database="scale")
    env = clean_environment(DATABASE_URL=database_url(socket_dir, "scale"), DJANGO_DEBUG="0")
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "generate_demo_data", "--jobs", "400", "--seed", "5",
               "--now", "2026-01-05T12:00:00Z", "-v", "0")
        manage(env, "shell", "-c", (
            "from django.contrib.auth.models import User\n"
            "User.objects.create_superuser('crash-operator', 'op@example.com', 'x')\n"
        ))
        token = manage(env, "drf_create_token", "crash-operator").split()[2]
        yield pgdata, env, token
    finally:
        stop_server(pgdata=pgdata)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("operator", password="operator-pass-123")
    user.user_permissions.add(Permission.objects.get(codename="change_job"))
    return user


@pytest.fixture
def operator_token(operator) -> str:
    return Token.objects.create(user=operator).key
