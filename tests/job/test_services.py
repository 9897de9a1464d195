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
    assert first.job.status == second.job.status == Job.Status.CANCELED
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
