import pytest

from job.models import Job
from job.services import JobNotCancelable, JobNotFound, job_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def test_job_cancel_reports_whether_it_changed_the_job():
    job = factories.JobFactory(status=Job.Status.QUEUED)
    queued = factories.JobExecutionFactory(job=job, status="QUEUED")
    completed = factories.JobExecutionFactory(job=job, status="COMPLETED")

    first = job_cancel(job_id=job.id)
    second = job_cancel(job_id=job.id)

    assert (first.changed, second.changed) == (True, False)
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELED
    queued.refresh_from_db()
    completed.refresh_from_db()
    assert (queued.status, completed.status) == ("CANCELED", "COMPLETED")
    assert completed.ended is None


def test_job_cancel_refuses_a_completed_job_and_an_unknown_one():
    job = factories.JobFactory(status=Job.Status.COMPLETED)
    with pytest.raises(JobNotCancelable, match=f"job {job.id} is COMPLETED"):
        job_cancel(job_id=job.id)
    with pytest.raises(JobNotFound, match="job 0 was not found"):
        job_cancel(job_id=0)
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED


def test_job_cancel_cancels_a_job_that_became_cancelable_after_its_update_looked(monkeypatch):
    """The UPDATE found nothing to cancel, but the locked read finds a cancelable job
    (say it was created in between): it is canceled under that lock."""
    from job import services

    job = factories.JobFactory(status=Job.Status.QUEUED)
    execution = factories.JobExecutionFactory(job=job, status="QUEUED")
    calls = []
    real = services._cancel_job_row

    def first_one_misses(**kwargs):
        calls.append(kwargs["job_id"])
        return False if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_cancel_job_row", first_one_misses)
    assert job_cancel(job_id=job.id).changed is True
    assert calls == [job.id, job.id]
    job.refresh_from_db()
    execution.refresh_from_db()
    assert (job.status, execution.status, execution.ended) == ("CANCELED", "CANCELED", job.ended)
