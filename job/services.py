"""State changes of jobs. Views, admin actions and commands all come through here."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models, transaction
from django.utils import timezone

from job.models import Job, JobCount, JobInputFile
from job_exe.models import JobExecution, JobExecutionCount
from recipe.models import RecipeJob
from scale.exceptions import Conflict, NotFound
from storage.models import ScaleFile

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
    """The job's status (read under its row lock) forbids a cancel."""

    def __init__(self, *, job_id: int, status: str) -> None:
        super().__init__(f"job {job_id} is {status} and cannot be canceled.")
        self.status = status


@dataclass(frozen=True)
class CancelResult:
    job_id: int
    changed: bool  # False when the job was already CANCELED


@transaction.atomic
def job_cancel(*, job_id: int) -> CancelResult:
    """Cancel a job and its unfinished executions, in one transaction.

    The job's UPDATE locks its row and checks, under that lock, that its status may be
    canceled (PostgreSQL reads again a row that a concurrent transaction changed before
    updating it). So concurrent cancels, or a scheduler finishing the job meanwhile, see
    one consistent state: the first cancel writes, later ones find CANCELED and change
    nothing. A COMPLETED job is refused. A cancel that writes is two statements: the
    job's UPDATE and its executions'.
    """
    now = timezone.now()
    if not _cancel_job_row(job_id=job_id, now=now):
        # Nothing was updated: read why, locking the row.
        status = (
            Job.objects.select_for_update()
            .filter(pk=job_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            raise JobNotFound(f"job {job_id} was not found.")
        if status == Job.Status.CANCELED:
            return CancelResult(job_id=job_id, changed=False)
        if status not in CANCELABLE_STATUSES:
            raise JobNotCancelable(job_id=job_id, status=status)
        # The job became cancelable after the UPDATE looked (it did not exist yet, say).
        # This transaction holds its lock now, so the UPDATE finds it as it was read.
        _cancel_job_row(job_id=job_id, now=now)
    JobExecution.objects.filter(
        job_id=job_id, status__in=JobExecution.UNFINISHED_STATUSES
    ).update(status=JobExecution.Status.CANCELED, ended=now, last_modified=now)
    return CancelResult(job_id=job_id, changed=True)


def _cancel_job_row(*, job_id: int, now: datetime) -> bool:
    """Cancel the job if its status allows it; whether it did."""
    updated = Job.objects.filter(pk=job_id, status__in=CANCELABLE_STATUSES).update(
        status=Job.Status.CANCELED,
        error=None,
        ended=now,
        last_status_change=now,
        last_modified=now,
    )
    return updated == 1


@dataclass
class JobCancelSummary:
    """What a cancel of many jobs did: how many were canceled, how many skipped and why."""

    canceled: int = 0
    already_canceled: int = 0
    # Jobs that job_cancel refused, by the status they had (COMPLETED).
    not_cancelable: dict[str, int] = field(default_factory=dict)
    # Jobs deleted between their selection and their cancel.
    not_found: int = 0

    @property
    def skipped(self) -> int:
        return self.already_canceled + sum(self.not_cancelable.values()) + self.not_found

    def merge(self, other: JobCancelSummary) -> None:
        self.canceled += other.canceled
        self.already_canceled += other.already_canceled
        for status, count in other.not_cancelable.items():
            self.not_cancelable[status] = self.not_cancelable.get(status, 0) + count
        self.not_found += other.not_found

    def skip_reasons(self) -> list[str]:
        """``["2 already canceled", "1 completed"]``: one entry per non-zero reason."""
        reasons = []
        if self.already_canceled:
            reasons.append(f"{self.already_canceled} already canceled")
        for status, count in sorted(self.not_cancelable.items()):
            if count:
                reasons.append(f"{count} {status.lower()}")
        if self.not_found:
            reasons.append(f"{self.not_found} no longer exist")
        return reasons

    def describe(self) -> str:
        """One line for an operator: ``Canceled 3 jobs; skipped 2: 1 already canceled, ...``."""
        noun = "job" if self.canceled == 1 else "jobs"
        text = f"Canceled {self.canceled} {noun}"
        if self.skipped:
            text += f"; skipped {self.skipped}: {', '.join(self.skip_reasons())}"
        return text + "."


def job_cancel_many(
    *, job_ids: Iterable[int], on_each: Callable[[], None] | None = None
) -> JobCancelSummary:
    """Cancel each job through ``job_cancel`` and count what happened.

    Each job is its own transaction (``job_cancel`` is the outermost atomic call): a cancel
    of thousands of jobs then holds one job's lock at a time, and a job that cannot be
    canceled does not undo the others. Call it outside any transaction. ``on_each`` is
    called after every job (a progress bar).
    """
    summary = JobCancelSummary()
    for job_id in job_ids:
        try:
            result = job_cancel(job_id=job_id)
        except JobNotFound:
            summary.not_found += 1
        except JobNotCancelable as refusal:
            status = refusal.status
            summary.not_cancelable[status] = summary.not_cancelable.get(status, 0) + 1
        else:
            if result.changed:
                summary.canceled += 1
            else:
                summary.already_canceled += 1
        if on_each is not None:
            on_each()
    return summary


@dataclass(frozen=True)
class JobPurgeResult:
    """What one purge batch deleted (jobs and their links) and detached (product files)."""

    jobs: int = 0
    job_exes: int = 0
    input_file_links: int = 0
    recipe_links: int = 0
    products_detached: int = 0


@transaction.atomic
def job_purge_batch(
    *,
    modified_before: datetime,
    statuses: Collection[str] = Job.FINISHED_STATUSES,
    batch_size: int = 1000,
) -> JobPurgeResult:
    """Delete up to ``batch_size`` finished jobs last modified before ``modified_before``.

    With each job go its executions, its input-file links (``JobInputFile``) and its
    recipe links (``RecipeJob``). Files stay: product files lose their ``job``/``job_exe``
    (set to NULL first, as those FKs protect the rows), source files are untouched.

    The batch is the lowest job ids that qualify, locked ``FOR UPDATE SKIP LOCKED``: a
    job that another transaction holds (a cancel in progress) is left for a later batch
    instead of blocking either side, and PostgreSQL re-checks the status and time of every
    row it locks, so a job that left its finished status meanwhile is never deleted. One
    batch is one transaction; a caller loops until a batch deletes nothing.
    """
    unfinished = set(statuses) - set(Job.FINISHED_STATUSES)
    if unfinished:
        raise ValueError(f"only finished jobs can be purged, not {', '.join(sorted(unfinished))}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    job_ids = list(
        Job.objects.filter(status__in=list(statuses), last_modified__lt=modified_before)
        .order_by("id")
        .select_for_update(of=("self",), skip_locked=True)
        .values_list("id", flat=True)[:batch_size]
    )
    if not job_ids:
        return JobPurgeResult()

    now = timezone.now()
    job_exes = JobExecution.objects.filter(job_id__in=job_ids)
    products_detached = ScaleFile.objects.filter(job_id__in=job_ids).update(
        job=None, job_exe=None, last_modified=now
    )
    # A product recorded under one of these executions but another job (inconsistent
    # data, but the FK would still refuse the delete).
    products_detached += ScaleFile.objects.filter(job_exe__in=job_exes.values("id")).update(
        job_exe=None, last_modified=now
    )
    input_file_links, _ = JobInputFile.objects.filter(job_id__in=job_ids).delete()
    recipe_links, _ = RecipeJob.objects.filter(job_id__in=job_ids).delete()
    # only("id"): the delete collector loads the rows it deletes; never the logs.
    job_exe_count, _ = job_exes.only("id").delete()
    job_count, _ = Job.objects.filter(id__in=job_ids).only("id").delete()
    return JobPurgeResult(
        jobs=job_count,
        job_exes=job_exe_count,
        input_file_links=input_file_links,
        recipe_links=recipe_links,
        products_detached=products_detached,
    )


@dataclass(frozen=True)
class CounterRebuild:
    """What a rebuild of a counter table (``job_count``, ``job_exe_count``) found and wrote."""

    counters: int  # key combinations that have rows
    rows: int  # the jobs or executions counted
    corrected: int  # counters that were wrong, missing or left over before


@transaction.atomic
def job_count_rebuild() -> CounterRebuild:
    """Count ``job_count`` again from the job table.

    Its triggers keep it exact whoever writes jobs, unless they were bypassed (``ALTER
    TABLE job DISABLE TRIGGER``); this repairs it then. The job table is locked in SHARE
    mode first: writers of jobs wait until the counters are rewritten, and the count sees
    every job that was written before.
    """
    return _rebuild_counter(
        JobCount,
        locked="job",
        keys=("status", "job_type_id", "error_id"),
        grouped="SELECT status, job_type_id, error_id, count(*) FROM job GROUP BY 1, 2, 3",
    )


@transaction.atomic
def job_exe_count_rebuild() -> CounterRebuild:
    """Count ``job_exe_count`` again from the executions (and their jobs' types), as
    ``job_count_rebuild`` does for jobs; writers of executions wait while it runs."""
    return _rebuild_counter(
        JobExecutionCount,
        locked="job_exe",
        keys=("status", "job_type_id", "node_id"),
        grouped="""SELECT e.status, j.job_type_id, e.node_id, count(*)
            FROM job_exe e JOIN job j ON j.id = e.job_id GROUP BY 1, 2, 3""",
    )


def _rebuild_counter(counter, *, locked: str, keys: tuple[str, ...], grouped: str):
    """Replace the counter table's rows with ``grouped`` (its ``keys``, then the count),
    after counting the rows that were wrong; only the last key may be null."""
    table = counter._meta.db_table
    columns = ", ".join(keys)
    *keys_not_null, nullable = keys
    same_key = " AND ".join(
        [*(f"counted.{key} = actual.{key}" for key in keys_not_null),
         f"counted.{nullable} IS NOT DISTINCT FROM actual.{nullable}"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {locked} IN SHARE MODE")
        cursor.execute(
            f"""SELECT count(*) FROM ({grouped}) AS actual({columns}, n)
            FULL JOIN (SELECT * FROM {table} WHERE count <> 0) counted ON {same_key}
            WHERE counted.count IS DISTINCT FROM actual.n"""
        )
        corrected = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} ({columns}, count) {grouped}")
    totals = counter.objects.aggregate(counters=models.Count("id"), rows=models.Sum("count"))
    return CounterRebuild(
        counters=totals["counters"], rows=totals["rows"] or 0, corrected=corrected
    )
