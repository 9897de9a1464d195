"""State changes of jobs. Views, admin actions and commands all come through here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from job.models import Job
from job_exe.models import JobExecution
from scale.exceptions import Conflict, NotFound

CANCELABLE_STATUSES = (
    Job.Status.PENDING,
    Job.Status.BLOCKED,
    Job.Status.QUEUED,
    Job.Status.RUNNING,
    Job.Status.FAILED,
)


class JobNotFound(NotFound):
    pass


class JobNotCancelable(Conflict):
    pass


@dataclass(frozen=True)
class CancelResult:
    job: Job
    changed: bool  # False when the job was already CANCELED


@transaction.atomic
def job_cancel(*, job_id: int) -> CancelResult:
    """Cancel a job and its unfinished execution, in one transaction.

    The job's row is locked before its status is read, so concurrent cancels (or a
    scheduler finishing the job meanwhile) see one consistent state: the first cancel
    writes, later ones find CANCELED and change nothing. A COMPLETED job is refused.
    """
    job = (
        Job.objects.select_for_update(of=("self",))
        .only("id", "status", "error_id", "ended", "last_status_change", "last_modified")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise JobNotFound(f"job {job_id} was not found.")
    if job.status == Job.Status.CANCELED:
        return CancelResult(job=job, changed=False)
    if job.status not in CANCELABLE_STATUSES:
        raise JobNotCancelable(f"job {job_id} is {job.status} and cannot be canceled.")

    now = timezone.now()
    job.status = Job.Status.CANCELED
    job.error = None
    job.ended = now
    job.last_status_change = now
    job.last_modified = now
    job.save(update_fields=["status", "error", "ended", "last_status_change", "last_modified"])

    for job_exe in JobExecution.objects.select_for_update(of=("self",)).filter(
        job_id=job_id, status__in=JobExecution.UNFINISHED_STATUSES
    ).only("id", "status", "ended", "last_modified"):
        job_exe.status = JobExecution.Status.CANCELED
        job_exe.ended = now
        job_exe.last_modified = now
        job_exe.save(update_fields=["status", "ended", "last_modified"])
    return CancelResult(job=job, changed=True)
