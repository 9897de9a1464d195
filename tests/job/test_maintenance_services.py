"""job_cancel_many and job_purge_batch: the services behind the admin action and commands."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from job.models import Job
from job.services import JobCancelSummary, job_cancel_many, job_purge_batch
from job_exe.models import JobExecution
from tests import factories
from tests.concurrency import held_open
from tests.job.conftest import set_times


@pytest.mark.django_db
def test_job_cancel_many_counts_canceled_and_every_reason_to_skip():
    queued = factories.JobFactory(status="QUEUED")
    canceled = factories.JobFactory(status="CANCELED")
    completed = factories.JobFactory(status="COMPLETED")
    seen = []

    summary = job_cancel_many(
        job_ids=[queued.id, canceled.id, completed.id, 0], on_each=lambda: seen.append(1)
    )

    assert summary == JobCancelSummary(
        canceled=1, already_canceled=1, not_cancelable={"COMPLETED": 1}, not_found=1
    )
    assert summary.describe() == (
        "Canceled 1 job; skipped 3: 1 already canceled, 1 completed, 1 no longer exist."
    )
    assert len(seen) == 4


@pytest.mark.django_db
def test_job_purge_batch_refuses_unfinished_statuses():
    job = set_times(
        factories.JobFactory(status="RUNNING"),
        last_modified=timezone.now() - timedelta(days=9),
    )
    with pytest.raises(ValueError, match="only finished jobs can be purged, not QUEUED, RUNNING"):
        job_purge_batch(modified_before=timezone.now(), statuses=["RUNNING", "QUEUED", "FAILED"])
    assert Job.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_job_purge_batch_takes_the_lowest_ids_first_and_at_most_the_batch_size():
    old = timezone.now() - timedelta(days=9)
    jobs = [
        set_times(factories.JobFactory(status="COMPLETED"), last_modified=old) for _ in range(3)
    ]
    factories.JobExecutionFactory(job=jobs[0], status="COMPLETED", stdout="x" * 100_000)

    with CaptureQueriesContext(connection) as queries:
        first = job_purge_batch(modified_before=timezone.now(), batch_size=2)

    # The delete collector loads the executions it deletes: their ids only, never the logs.
    assert not any('"stdout"' in query["sql"] for query in queries.captured_queries)

    assert (first.jobs, first.job_exes) == (2, 1)
    assert list(Job.objects.values_list("id", flat=True)) == [jobs[2].id]
    assert not JobExecution.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_purge_skips_a_job_another_transaction_holds_and_says_so():
    old = timezone.now() - timedelta(days=9)
    held, free = (
        set_times(factories.JobFactory(status="FAILED"), last_modified=old) for _ in range(2)
    )
    # A cancel (or any writer) in progress on `held`: its row stays locked meanwhile.
    with held_open(lambda: Job.objects.select_for_update().get(pk=held.pk), timeout=30):
        out = StringIO()
        call_command("purge_jobs", "--older-than", "P1D", stdout=out, stderr=StringIO())

    assert out.getvalue().splitlines()[1] == (
        "1 matching job was in use by other transactions and left for the next run."
    )
    assert list(Job.objects.values_list("id", flat=True)) == [held.id]
    assert not Job.objects.filter(pk=free.pk).exists()
