"""Real workers for the tests: ``manage.py scale_worker`` as child processes on the test
database, job types whose commands exist on any machine, and a client that queues."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.contrib.auth.models import Permission, User
from django.db import connection
from rest_framework.test import APIClient

from job.models import Job
from job_exe.models import JobExecution
from tests import factories
from tests.servers import BASE_DIR, clean_environment, database_url


def wait_for(condition, *, timeout: float, interval: float = 0.05, message: str = ""):
    """``condition()``'s first truthy value within ``timeout`` seconds (else a failure)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"not true within {timeout} s")
        time.sleep(interval)


@contextmanager
def worker(tmp_path: Path, *, lease: int = 5, concurrency: int = 1,
           hostname: str = "test-worker", alive: int = 30) -> Iterator[subprocess.Popen]:
    """A ``manage.py scale_worker`` on the test database until the block ends (SIGTERM);
    ``alive``: its node's ``SCALE_NODE_ALIVE_SECONDS``."""
    log_path = tmp_path / f"worker-{hostname}-{time.monotonic_ns()}.log"
    env = clean_environment(
        DATABASE_URL=database_url(), SCALE_WORK_DIR=str(tmp_path / "work"),
        SCALE_LEASE_SECONDS=str(lease), SCALE_WORKER_HOSTNAME=hostname,
        SCALE_NODE_ALIVE_SECONDS=str(alive),
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "scale_worker", "--concurrency", str(concurrency)],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    process.log_path = log_path  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def forget_procrastinate_jobs() -> None:
    """Procrastinate's tables are not the test flush's (its models are unmanaged): empty
    them after a test whose jobs were committed."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_events, "
                       "procrastinate_workers CASCADE")


def queuer() -> APIClient:
    user = User.objects.create_user(f"queuer-{time.monotonic_ns()}", password="x" * 12)
    for codename in ("queue_job", "change_job", "requeue_job"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = APIClient()
    client.force_authenticate(user)
    return client


def job_type(name: str, *, command: str, arguments: str, inputs=(), outputs=(), **fields):
    interface = {"version": "1.0", "command": command, "command_arguments": arguments,
                 "input_data": list(inputs), "output_data": list(outputs)}
    created = factories.JobTypeFactory(
        name=name, interface=interface, revision_num=1,
        **{"timeout": 60, "max_tries": 1, "uses_docker": False, **fields},
    )
    factories.JobTypeRevisionFactory(job_type=created, revision_num=1, interface=interface)
    return created


def sleeper(**fields):
    """``sh -c``: prints its own pid and a child's, then waits on the child (a group)."""
    return job_type(
        "sleeper", command="sh",
        arguments="-c 'sleep ${seconds} & echo \"pids $$ $!\"; wait' sleeper",
        inputs=[{"name": "seconds", "type": "property"}], **fields,
    )


def queue(client: APIClient, job_type_id: int, data: dict) -> int:
    response = client.post("/queue/new-job/", data=json.dumps(
        {"job_type_id": job_type_id, "job_data": data}), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def job_status(job_id: int) -> str:
    return Job.objects.values_list("status", flat=True).get(pk=job_id)


def logs(client: APIClient, job_exe_id: int) -> dict:
    response = client.get(f"/job-executions/{job_exe_id}/logs/")
    return json.loads(b"".join(response.streaming_content))


def running_execution(job_id: int) -> JobExecution | None:
    return JobExecution.objects.filter(job_id=job_id, status="RUNNING").first()


def pids_of(client: APIClient, job_exe_id: int) -> list[int] | None:
    for line in logs(client, job_exe_id)["stdout"].splitlines():
        if line.startswith("pids "):
            return [int(p) for p in line.split()[1:]]
    return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent has not reaped it yet).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
