"""Every answer is read from one snapshot: while a job is canceled and put back again and
again, no read shows the job in one state and its execution in the other."""

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from job.models import Job
from job.services import job_cancel
from job_exe.models import JobExecution
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

READS = 5000
# The states that exist between two commits: (job status, its newest execution's status).
COHERENT = {("RUNNING", "RUNNING"), ("CANCELED", "CANCELED")}


def _put_back(job_id: int) -> None:
    """The job and its execution RUNNING again, in one transaction."""
    with transaction.atomic():
        Job.objects.filter(pk=job_id).update(status="RUNNING", ended=None)
        JobExecution.objects.filter(job_id=job_id).update(status="RUNNING", ended=None)


def test_no_read_is_torn_by_concurrent_cancels():
    job = factories.JobFactory(status="RUNNING")
    factories.JobExecutionFactory(job=job, status="RUNNING")
    done = threading.Event()
    cancels: list[int] = []
    seen: dict[str, list[tuple[str, str]]] = {"details": [], "executions": []}
    failures: list[BaseException] = []

    def write() -> None:
        try:
            while not done.is_set():
                job_cancel(job_id=job.id)
                cancels.append(1)
                _put_back(job.id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    def read(kind: str) -> None:
        client = APIClient()
        try:
            for _ in range(READS // 2):
                if kind == "details":
                    body = client.get(f"/jobs/{job.id}/").json()
                    seen[kind].append((body["status"], body["job_exes"][0]["status"]))
                else:
                    row = client.get("/jobs/executions/", {"job_id": job.id}).json()
                    row = row["results"][0]
                    seen[kind].append((row["status"], row["latest_job_exe"]["status"]))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    readers = [threading.Thread(target=read, args=(kind,)) for kind in seen]
    writer.start()
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=600)
    done.set()
    writer.join(timeout=60)

    assert not failures, failures
    assert sum(len(states) for states in seen.values()) == READS
    for kind, states in seen.items():
        torn = [state for state in states if state not in COHERENT]
        assert not torn, f"{kind}: {len(torn)} torn reads, e.g. {torn[0]}"
        # The reads met both states: the writer really ran between them.
        assert set(states) == COHERENT, f"{kind}: only {set(states)}"
    assert len(cancels) > 10
