import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from scale.database import database_settings

ROOT = Path(__file__).resolve().parents[2]


def test_database_url_selects_a_postgres_server(tmp_path):
    settings = database_settings(
        url="postgres://scale:secret@db.internal:6432/jobs", var_dir=tmp_path, test_name=None
    )
    assert settings["ENGINE"] == "scale.postgres"
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == ("db.internal", 6432, "jobs")
    assert (settings["USER"], settings["PASSWORD"]) == ("scale", "secret")
    assert settings["CONN_MAX_AGE"] == 600


def test_the_urls_options_are_kept_as_they_are(tmp_path):
    settings = database_settings(
        url="postgres://u:p@h/db?options=-c%20search_path%3Djobs", var_dir=tmp_path, test_name=None
    )
    assert settings["OPTIONS"]["options"] == "-c search_path=jobs"


def test_unset_database_url_selects_the_embedded_server_under_var(tmp_path):
    settings = database_settings(url=None, var_dir=tmp_path, test_name="test_x")
    assert settings["ENGINE"] == "scale.embedded_pg"
    assert settings["PGDATA"] == str(tmp_path / "pgdata")
    assert settings["TEST"] == {"NAME": "test_x"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:p@h/db", "must be a PostgreSQL URL"),
        ("sqlite:///db.sqlite3", "must be a PostgreSQL URL"),
        ("not a url", "must be a PostgreSQL URL"),
        ("postgres://u:p@host:5432/", "names no database"),
        ("postgres://u:p@host:notaport/db", "malformed"),
    ],
)
def test_malformed_database_url_is_a_one_line_error(tmp_path, url, message):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        database_settings(url=url, var_dir=tmp_path, test_name=None)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def _manage(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env_extra
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_reports_a_malformed_database_url_in_one_line():
    result = _manage("migrate", "--check", env_extra={"DATABASE_URL": "mysql://u:p@h/db"})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("manage.py: DATABASE_URL must be a PostgreSQL URL")


def test_manage_py_reports_an_unreachable_server_in_one_line():
    result = _manage(
        "migrate", "--check", env_extra={"DATABASE_URL": "postgres://u:p@127.0.0.1:1/scale"}
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("manage.py: the database cannot be reached:")
    assert "127.0.0.1" in result.stderr


@pytest.mark.django_db
def test_tests_run_on_a_real_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 120000
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0].startswith("test_")


def test_embedded_server_is_shared_by_concurrent_processes():
    """Several processes asking for the embedded server at once all reach the same one."""
    import os

    if os.environ.get("DATABASE_URL"):
        pytest.skip("the embedded server is only used when DATABASE_URL is unset")
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='scale.settings'; django.setup();"
        "from django.db import connection; c=connection.cursor();"
        "c.execute('SELECT pg_postmaster_start_time(), current_database()');"
        "print(*c.fetchone())"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = {proc.communicate(timeout=120)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(outputs) == 1  # one server (one start time), one database
    assert outputs.pop().endswith(" scale")


def test_embedded_server_starts_in_an_empty_directory_and_stops(pg_directory):
    """A fresh data directory gets initialised, started, given its database, and stopped."""
    import psycopg2

    from scale.embedded_pg import ensure_server, stop_server

    pgdata = pg_directory / "pgdata"
    socket_dir = ensure_server(pgdata=pgdata, database="fresh")
    try:
        conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="fresh")
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('random_page_cost')")
            assert cursor.fetchone() == ("fresh", "1.1")
        conn.close()
    finally:
        assert stop_server(pgdata=pgdata) == f"stopped the embedded PostgreSQL in {pgdata}"
    assert not (pgdata / "postmaster.pid").exists()
    assert stop_server(pgdata=pgdata) == f"no embedded PostgreSQL runs in {pgdata}"


def test_concurrent_first_connections_create_a_missing_database_once():
    """Processes that find the database missing at the same moment all get it, none fails.

    On a fresh machine the web server's workers, or parallel ``manage.py`` commands, all
    see that ``scale`` does not exist yet; PostgreSQL refuses every CREATE DATABASE but one.
    """
    import os
    import threading
    import uuid

    import psycopg2
    from django.conf import settings

    from scale.embedded_pg import _create_database, ensure_server

    if os.environ.get("DATABASE_URL"):
        pytest.skip("the embedded server is only used when DATABASE_URL is unset")
    socket_dir = ensure_server(pgdata=Path(settings.DATABASES["default"]["PGDATA"]), database=None)
    database = f"scale_race_{uuid.uuid4().hex[:12]}"
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def connect_first_time() -> None:
        barrier.wait()
        try:
            _create_database(socket_dir=socket_dir, database=database)
        except BaseException as exc:  # noqa: BLE001 - every failure is the finding
            failures.append(exc)

    threads = [threading.Thread(target=connect_first_time) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [database])
            assert cursor.fetchone() == (1,)
            cursor.execute(f'DROP DATABASE "{database}"')
    finally:
        conn.close()
    assert failures == []
