"""A worker survives a PostgreSQL restart: the job running across it completes, and jobs
queued after it run. On a throwaway embedded server of its own (``throwaway_service``)."""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg2

from scale.embedded_pg import restart_server, running_socket_dir, stop_server
from tests.served import BASE_DIR, manage, wait_for

QUEUE = """
from job.models import JobType, JobTypeRevision
from job.services import job_queue_new
interface = {"command": "sleep", "command_arguments": "${seconds}",
             "input_data": [{"name": "seconds", "type": "property"}]}
job_type, _ = JobType.objects.get_or_create(
    name="outage-sleep", version="1.0",
    defaults={"interface": interface, "uses_docker": False, "max_tries": 1})
JobTypeRevision.objects.get_or_create(job_type=job_type, revision_num=job_type.revision_num,
                                      defaults={"interface": interface})
print(job_queue_new(job_type_id=job_type.id,
                    data={"input_data": [{"name": "seconds", "value": "%s"}]}))
"""


def _status(pgdata, job_id: int) -> str | None:
    socket_dir = running_socket_dir(pgdata)
    if socket_dir is None:
        return None
    try:
        with psycopg2.connect(host=socket_dir, dbname="scale", user="postgres") as conn:
            with conn.cursor() as cursor:
                cursor.execute("SELECT status FROM job WHERE id = %s", [job_id])
                return cursor.fetchone()[0]
    except psycopg2.OperationalError:
        return None


def test_a_worker_carries_on_across_a_postgres_restart(throwaway_service, tmp_path):
    pgdata, env, _token = throwaway_service
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "scale_worker"], cwd=BASE_DIR,
            env={**env, "SCALE_WORK_DIR": str(tmp_path / "work"), "SCALE_LEASE_SECONDS": "10"},
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        across = int(manage(env, "shell", "-c", QUEUE % "4").split()[-1])
        wait_for(lambda: _status(pgdata, across) == "RUNNING", timeout=60,
                 message=log_path.read_text())
        stop_server(pgdata=pgdata)
        time.sleep(1)
        restart_server(pgdata=pgdata)
        wait_for(lambda: _status(pgdata, across) == "COMPLETED", timeout=60,
                 message=log_path.read_text())
        after = int(manage(env, "shell", "-c", QUEUE % "0").split()[-1])
        wait_for(lambda: _status(pgdata, after) == "COMPLETED", timeout=60,
                 message=log_path.read_text())
        assert worker.poll() is None, log_path.read_text()
    finally:
        worker.terminate()
        worker.wait(30)
