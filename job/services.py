"""State changes of jobs. Views, admin actions and commands all come through here."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.contrib.postgres.aggregates import BoolOr
from django.db import connection, models, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone
from procrastinate.contrib.django import app as procrastinate_app

from job.job_data import check_job_data, interface_inputs, media_type_allowed
from job.models import (
    Job,
    JobCount,
    JobDayCount,
    JobInputFile,
    JobLoadChange,
    JobStatusTimeCount,
    JobTimeCount,
    JobType,
    JobTypeRevision,
)
from job_exe.models import (
    EXECUTION_MEASURES,
    JobExecution,
    JobExecutionCount,
    JobExecutionDayTime,
    execution_times,
)
from recipe.models import RecipeJob
from scale import counters
from scale.exceptions import Conflict, DomainError, NotFound
from storage.models import ScaleFile, Workspace
from trigger.models import TriggerEvent

# The Procrastinate task that runs one execution (job_exe/tasks.py), and its queue.
RUN_EXECUTION_TASK = "job_exe.tasks.run_execution"
JOBS_QUEUE = "scale-jobs"
REQUEUEABLE_STATUSES = (Job.Status.FAILED, Job.Status.CANCELED)

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
    unfinished = JobExecution.objects.filter(
        job_id=job_id, status__in=JobExecution.UNFINISHED_STATUSES
    )
    # The worker running one (or about to) hears of it through Procrastinate's abort
    # request (a NOTIFY sent at commit) and kills its process group; a worker that has
    # not claimed it yet finds it CANCELED under the job's row lock and never starts it.
    task_ids = [task_id for task_id in unfinished.values_list("task_id", flat=True) if task_id]
    unfinished.update(
        status=JobExecution.Status.CANCELED, ended=now, last_modified=now, lease_expires=None
    )
    for task_id in task_ids:
        procrastinate_app.job_manager.cancel_job_by_id(task_id, abort=True)
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


# The load events of one job (as job migration 0012 writes them): +1 and -1 at the hours
# its PENDING, QUEUED and RUNNING intervals start and end (``JobLoadChange``).
_LOAD_EVENTS = """
    SELECT date_trunc('hour', e.at, 'UTC'), r.job_type_id,
        sum(e.pending), sum(e.queued), sum(e.running)
    FROM job r CROSS JOIN LATERAL (SELECT
        CASE WHEN r.created IS NOT NULL AND coalesce(r.queued, r.started, r.ended,
            CASE WHEN r.status <> 'PENDING' THEN r.last_status_change END) IS NOT NULL
        THEN greatest(r.created, coalesce(r.queued, r.started, r.ended,
            CASE WHEN r.status <> 'PENDING' THEN r.last_status_change END)) END,
        CASE WHEN r.queued IS NOT NULL AND coalesce(r.started, r.ended,
            CASE WHEN r.status <> 'QUEUED' THEN r.last_status_change END) IS NOT NULL
        THEN greatest(r.queued, coalesce(r.started, r.ended,
            CASE WHEN r.status <> 'QUEUED' THEN r.last_status_change END)) END,
        CASE WHEN r.started IS NOT NULL AND coalesce(r.ended,
            CASE WHEN r.status <> 'RUNNING' THEN r.last_status_change END) IS NOT NULL
        THEN greatest(r.started, coalesce(r.ended,
            CASE WHEN r.status <> 'RUNNING' THEN r.last_status_change END)) END
    ) AS ends(pending, queued, running)
    CROSS JOIN LATERAL (VALUES
        (r.created, 1, 0, 0), (ends.pending, -1, 0, 0),
        (r.queued, 0, 1, 0), (ends.queued, 0, -1, 0),
        (r.started, 0, 0, 1), (ends.running, 0, 0, -1)
    ) AS e(at, pending, queued, running)
    WHERE e.at IS NOT NULL
    GROUP BY 1, 2
    HAVING sum(e.pending) <> 0 OR sum(e.queued) <> 0 OR sum(e.running) <> 0"""


def _bucketed(column: str) -> str:
    """The jobs counted per (status, job type, error) and time bucket of ``column``, at
    each width (``JobBucketLedger``); those with no time in it, nowhere."""
    return f"""
        SELECT status, job_type_id, error_id, w.width,
            date_bin(make_interval(secs => w.width), {column},
                     TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*)
        FROM job CROSS JOIN (VALUES (86400), (3600), (60)) AS w(width)
        WHERE {column} IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5"""


# Each ledger of jobs and executions, and how to count it again from them: the key
# columns in the model's order, then the values.
COUNTER_REBUILDS: dict[type[counters.Ledger], tuple[str, str]] = {
    JobCount: ("job", "SELECT status, job_type_id, error_id, count(*) FROM job GROUP BY 1, 2, 3"),
    JobTimeCount: ("job", _bucketed("last_modified")),
    JobStatusTimeCount: ("job", _bucketed("last_status_change")),
    JobDayCount: ("job", """
        SELECT status, job_type_id, error_id, (ended AT TIME ZONE 'UTC')::date, count(*)
        FROM job WHERE ended IS NOT NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELED')
        GROUP BY 1, 2, 3, 4"""),
    JobLoadChange: ("job", _LOAD_EVENTS),
    JobExecutionCount: ("job_exe", """
        SELECT e.status, j.job_type_id, e.node_id, count(*)
        FROM job_exe e JOIN job j ON j.id = e.job_id GROUP BY 1, 2, 3"""),
}


@transaction.atomic
def counters_rebuild(counter: type[counters.Ledger]) -> counters.Rebuild:
    """Count one of the ledgers of jobs and executions (``COUNTER_REBUILDS``) again.

    Their triggers keep them exact whoever writes, unless they were bypassed (``ALTER
    TABLE job DISABLE TRIGGER``); this repairs them then. The counted table is locked in
    SHARE mode first: its writers wait until the ledger is rewritten.
    """
    locked, grouped = COUNTER_REBUILDS[counter]
    return counters.rebuild(counter, locked=locked, grouped=grouped)


_DAY_TIME_SUMS = ("count", *(f"{m}_{kind}" for m in EXECUTION_MEASURES
                              for kind in ("count", "sum")))
_DAY_TIME_EXTREMES = tuple(f"{m}_{kind}" for m in EXECUTION_MEASURES for kind in ("min", "max"))


def job_exe_day_times(executions) -> dict[tuple, dict[str, Any]]:
    """``job_exe_day_time``'s figures per (day, job type) computed from ``executions`` (a
    queryset of them), in one aggregate query: what the triggers' rows sum to."""
    completed = executions.filter(status=JobExecution.Status.COMPLETED, ended__isnull=False)
    times = execution_times()
    aggregates: dict[str, Any] = {"count": models.Count("id")}
    for measure, seconds in times.items():
        aggregates[f"{measure}_count"] = models.Count(seconds)
        aggregates[f"{measure}_sum"] = models.Sum(seconds, default=0.0)
        aggregates[f"{measure}_min"] = models.Min(seconds)
        aggregates[f"{measure}_max"] = models.Max(seconds)
    rows = (
        completed.order_by()
        .values(day=TruncDate("ended", tzinfo=UTC), type_id=models.F("job__job_type_id"))
        .annotate(**aggregates)
    )
    return {(row.pop("day"), row.pop("type_id")): row for row in rows}


@transaction.atomic
def job_exe_day_time_rebuild() -> counters.Rebuild:
    """Write ``job_exe_day_time`` again from the completed executions: one row per (day,
    job type), none stale. As ``job_exe_count_rebuild``, writers of executions wait."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE job_exe IN SHARE MODE")
    actual = job_exe_day_times(JobExecution.objects.all())
    kept = {
        (row.pop("occurred"), row.pop("job_type_id")): row
        for row in JobExecutionDayTime.objects.order_by().values("occurred", "job_type_id")
        .annotate(
            stale=BoolOr("stale"),
            **{name: models.Sum(name) for name in _DAY_TIME_SUMS},
            **{name: (models.Min if name.endswith("_min") else models.Max)(name)
               for name in _DAY_TIME_EXTREMES},
        )
        if row["count"]
    }

    def same(key) -> bool:
        have, want = kept.get(key), actual.get(key)
        if have is None or want is None or have["stale"]:
            return False
        return all(
            have[name] == want[name] if name.endswith("count") or name in _DAY_TIME_EXTREMES
            else abs(have[name] - want[name]) <= 1e-6 * max(1.0, abs(want[name]))
            for name in (*_DAY_TIME_SUMS, *_DAY_TIME_EXTREMES)
        )

    corrected = sum(not same(key) for key in kept.keys() | actual.keys())
    JobExecutionDayTime.objects.all().delete()
    JobExecutionDayTime.objects.bulk_create(
        JobExecutionDayTime(occurred=day, job_type_id=job_type_id, **figures)
        for (day, job_type_id), figures in sorted(actual.items())
    )
    return counters.Rebuild(
        counters=len(actual), rows=sum(row["count"] for row in actual.values()),
        corrected=corrected,
    )


# An execution's times in SQL (as the triggers of job_exe_day_time measure them), for the
# rows ``x`` of job_exe: t.queue ... t.run, then s.stage.
_EXECUTION_TIMES_SQL = """
    CROSS JOIN LATERAL (SELECT job_exe_seconds(x.queued, x.started) AS queue,
        job_exe_seconds(x.pre_started, x.pre_completed) AS pre,
        job_exe_seconds(x.job_started, x.job_completed) AS job,
        job_exe_seconds(x.post_started, x.post_completed) AS post,
        job_exe_seconds(x.started, x.ended) AS run) t
    CROSS JOIN LATERAL (SELECT CASE WHEN t.run IS NOT NULL THEN greatest(
        t.run - coalesce(t.pre, 0) - coalesce(t.job, 0) - coalesce(t.post, 0), 0) END AS stage) s
"""


def job_exe_day_time_fold() -> int:
    """Sum the rows of each (day, job type) of ``job_exe_day_time`` that has several into
    one (its counts and sums added, the least minimum and greatest maximum); how many rows
    went. A stale key gets its extremes from its executions, and is stale no more; a key
    whose executions were all taken away keeps no row.

    One statement, one snapshot: the rows it deletes and the executions it reads agree (a
    writer commits an execution and its row together). Rows appended meanwhile are not
    its and stay as they are (a removal among them is a stale row of its own); two folds at
    once each fold the rows they deleted.
    """
    columns = ", ".join((*_DAY_TIME_SUMS, *_DAY_TIME_EXTREMES))
    folded = ", ".join(
        [*(f"sum({name}) AS {name}" for name in _DAY_TIME_SUMS),
         *(f"{'min' if name.endswith('_min') else 'max'}({name}) AS {name}"
           for name in _DAY_TIME_EXTREMES)]
    )
    fresh = ", ".join(
        f"{'min' if name.endswith('_min') else 'max'}("
        f"{'s' if name.startswith('stage') else 't'}.{name.rsplit('_', 1)[0]}) AS {name}"
        for name in _DAY_TIME_EXTREMES
    )
    extremes = ", ".join(
        f"CASE WHEN f.occurred IS NULL THEN g.{name} ELSE f.{name} END"
        for name in _DAY_TIME_EXTREMES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH keys AS (
                SELECT occurred, job_type_id FROM job_exe_day_time
                GROUP BY 1, 2 HAVING count(*) > 1
            ), gone AS (
                DELETE FROM job_exe_day_time t USING keys k
                WHERE t.occurred = k.occurred AND t.job_type_id = k.job_type_id
                RETURNING t.*
            ), summed AS (
                SELECT occurred, job_type_id, bool_or(stale) AS stale, {folded} FROM gone
                GROUP BY 1, 2 HAVING sum(count) <> 0
            ), fresh AS (
                SELECT g.occurred, g.job_type_id, {fresh}
                FROM summed g
                JOIN job_exe x ON x.status = 'COMPLETED'
                    AND x.ended >= g.occurred::timestamp AT TIME ZONE 'UTC'
                    AND x.ended < (g.occurred + 1)::timestamp AT TIME ZONE 'UTC'
                JOIN job j ON j.id = x.job_id AND j.job_type_id = g.job_type_id
                {_EXECUTION_TIMES_SQL}
                WHERE g.stale
                GROUP BY 1, 2
            ), kept AS (
                INSERT INTO job_exe_day_time (occurred, job_type_id, stale, {columns})
                SELECT g.occurred, g.job_type_id, g.stale AND f.occurred IS NULL,
                    {", ".join(f"g.{name}" for name in _DAY_TIME_SUMS)}, {extremes}
                FROM summed g LEFT JOIN fresh f
                    ON f.occurred = g.occurred AND f.job_type_id = g.job_type_id
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)"""
        )
        return cursor.fetchone()[0]


class JobDataInvalid(DomainError):
    """A new job's request names problems; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def _mebibytes(size: int) -> float:
    return size / (1024 * 1024)


@transaction.atomic
def job_queue_new(*, job_type_id: int, data: object, user: str = "") -> int:
    """Create a job of the job type's current revision on ``data`` and queue its first
    execution, in one transaction; the new job's id.

    The job type's row is locked FOR SHARE: its revision cannot change meanwhile, yet jobs
    of one type are queued side by side (``select_for_update`` has no shared mode, hence
    the raw query). The data is checked against that revision's interface
    (``job.job_data``), and the files and workspaces it names are looked up (the job's
    input-file links are foreign keys, so a file deleted meanwhile fails the insert).
    Every problem is gathered into one ``JobDataInvalid``; then nothing is written.
    """
    problems: list[str] = []
    job_type = next(iter(JobType.objects.raw(
        f"SELECT * FROM {JobType._meta.db_table} WHERE id = %s FOR SHARE", [job_type_id]
    )), None)
    if job_type is None:
        raise JobDataInvalid([f"job_type_id: job type {job_type_id} does not exist."])
    if not job_type.is_active:
        raise JobDataInvalid([f"job_type_id: job type {job_type_id} ({job_type}) is not "
                              "active; jobs of it cannot be queued."])
    revision = JobTypeRevision.objects.filter(
        job_type=job_type, revision_num=job_type.revision_num
    ).first()
    if revision is None:
        raise Conflict(f"job type {job_type_id} has no revision {job_type.revision_num}, "
                       "its current one; jobs of it cannot be queued.")
    checked = check_job_data(interface=revision.interface, data=data)
    problems.extend(checked.problems)

    files = {
        f.pk: f
        for f in ScaleFile.objects.filter(pk__in=list(checked.file_ids), is_deleted=False)
        .only("id", "media_type", "file_size")
    }
    declared = {entry["name"]: entry for entry in interface_inputs(revision.interface)}
    for name, given in checked.input_files.items():
        for file_id, where in given:
            found = files.get(file_id)
            if found is None:
                problems.append(f"{where}: file {file_id} does not exist.")
            elif not media_type_allowed(declared[name], found.media_type):
                allowed = ", ".join(declared[name]["media_types"])
                problems.append(f"{where}: file {file_id} is {found.media_type}; input "
                                f"{name!r} takes {allowed}.")
    workspaces = {
        w.pk: w
        for w in Workspace.objects.filter(pk__in=list(checked.workspace_paths))
        .only("id", "is_active")
    }
    for workspace_id, paths in checked.workspace_paths.items():
        found = workspaces.get(workspace_id)
        for where in paths:
            if found is None:
                problems.append(f"{where}: workspace {workspace_id} does not exist.")
            elif not found.is_active:
                problems.append(f"{where}: workspace {workspace_id} is not active.")
    if problems:
        raise JobDataInvalid(problems)

    now = timezone.now()
    event = TriggerEvent.objects.create(
        type="USER", description={"user": user or "anonymous"}, occurred=now
    )
    disk_in = _mebibytes(sum(f.file_size for f in files.values()))
    job = Job.objects.create(
        job_type=job_type,
        job_type_rev=revision,
        event=event,
        status=Job.Status.QUEUED,
        num_exes=1,
        priority=job_type.priority,
        timeout=job_type.timeout,
        max_tries=job_type.max_tries,
        cpus_required=job_type.cpus_required,
        mem_required=job_type.mem_required,
        disk_in_required=disk_in,
        disk_out_required=job_type.disk_out_const_required
        + job_type.disk_out_mult_required * disk_in,
        data={"version": "1.0", **data},
        queued=now,
        last_status_change=now,
    )
    linked: set[int] = set()
    links = []
    for name, given in checked.input_files.items():
        for file_id, _ in given:
            if file_id not in linked:  # a file given to two inputs is linked once
                linked.add(file_id)
                links.append(JobInputFile(job=job, input_file_id=file_id, job_input=name))
    JobInputFile.objects.bulk_create(links)
    queue_executions([job], now=now)
    return job.pk


def queue_executions(jobs: list[Job], *, now) -> None:
    """A QUEUED execution for each job (already QUEUED, its num_exes counting it), and
    the Procrastinate job that will run it, deferred in the caller's transaction: the
    worker sees it at commit, or never."""
    interfaces = dict(
        JobTypeRevision.objects.filter(pk__in={j.job_type_rev_id for j in jobs}).values_list(
            "id", "interface"
        )
    )
    executions = JobExecution.objects.bulk_create(
        JobExecution(
            job=job,
            status=JobExecution.Status.QUEUED,
            command_arguments=str(
                (interfaces.get(job.job_type_rev_id) or {}).get("command_arguments", "")
            )[:1000],
            timeout=job.timeout,
            cpus_scheduled=job.cpus_required,
            mem_scheduled=job.mem_required,
            disk_in_scheduled=job.disk_in_required,
            disk_out_scheduled=job.disk_out_required,
            disk_total_scheduled=(job.disk_in_required or 0) + (job.disk_out_required or 0),
            queued=now,
        )
        for job in jobs
    )
    by_priority: dict[int, list[JobExecution]] = {}
    for job, execution in zip(jobs, executions, strict=True):
        by_priority.setdefault(job.priority, []).append(execution)
    for priority, group in by_priority.items():
        # Procrastinate runs its highest priority first; Scale's lowest number is highest.
        task_ids = procrastinate_app.configure_task(
            RUN_EXECUTION_TASK, queue=JOBS_QUEUE, priority=-priority
        ).batch_defer(*({"job_exe_id": e.pk} for e in group))
        for execution, task_id in zip(group, task_ids, strict=True):
            execution.task_id = task_id
    JobExecution.objects.bulk_update(executions, ["task_id"])


@dataclass(frozen=True)
class RequeueResult:
    requeued: int  # put back on the queue (QUEUED, a new execution)
    pending: int  # never queued before: PENDING again


@transaction.atomic
def job_requeue(*, job_ids: Collection[int], priority: int | None = None) -> RequeueResult:
    """Put the FAILED and CANCELED jobs among ``job_ids`` back, in one transaction.

    Each job's row is locked and its status read again under the lock (a job that left
    FAILED or CANCELED meanwhile is left alone). Its ``max_tries`` becomes its executions
    so far plus its job type's ``max_tries``, so it gets that many tries again, as Scale's
    requeue did. A job queued before becomes QUEUED with a new execution (``num_exes`` + 1);
    one that was never queued (no execution) goes back to PENDING, as the contract says.
    ``priority`` replaces the jobs' own when given.
    """
    jobs = list(
        Job.objects.filter(pk__in=list(job_ids), status__in=REQUEUEABLE_STATUSES)
        .select_for_update(of=("self",))
        .select_related("job_type")
        .order_by("id")
    )
    now = timezone.now()
    queued = []
    for job in jobs:
        job.last_modified = now
        job.max_tries = job.num_exes + job.job_type.max_tries
        job.error = None
        job.last_status_change = now
        if priority is not None:
            job.priority = priority
        if job.num_exes == 0:
            job.status = Job.Status.PENDING
        else:
            job.status = Job.Status.QUEUED
            job.num_exes += 1
            job.queued = now
            job.started = None
            job.ended = None
            queued.append(job)
    Job.objects.bulk_update(
        jobs,
        ["max_tries", "error", "status", "num_exes", "queued", "started", "ended",
         "priority", "last_status_change", "last_modified"],
    )
    if queued:
        queue_executions(queued, now=now)
    return RequeueResult(requeued=len(queued), pending=len(jobs) - len(queued))


def counter_rebuilds() -> list[tuple[str, Callable[[], counters.Rebuild]]]:
    """Every counter table that ``manage.py recount_jobs`` rebuilds, in its order, with its
    rebuild: the ledgers of ``COUNTER_REBUILDS``, then ``job_exe_day_time``."""
    rebuilds: list[tuple[str, Callable[[], counters.Rebuild]]] = [
        (counter._meta.db_table, partial(counters_rebuild, counter))
        for counter in COUNTER_REBUILDS
    ]
    rebuilds.append(("job_exe_day_time", job_exe_day_time_rebuild))
    return rebuilds


def counters_fold_all() -> None:
    """Fold every counter table (the ledgers, then ``job_exe_day_time``), as the workers'
    housekeeping does, and ``generate_demo_data`` after a load."""
    counters.fold_all()
    job_exe_day_time_fold()


def counters_compact_all() -> None:
    """Write every counter table (``counter_rebuilds``) anew without the pages its folded
    rows left behind, as ``generate_demo_data`` does after its fold.

    Every batch of a load appends rows to the ledgers and the fold deletes all but one
    per key, so a table keeps every page the batches filled (``job_exe_count``: 2,852
    pages for 1,092 rows after 10M jobs, against 39 after 100k), and each sum over a
    small ledger scans them all (1.1 ms instead of 0.1). ``CLUSTER`` writes a table anew
    in its primary key's order, holding its lock until the transaction ends.
    """
    with connection.cursor() as cursor:
        for table, _rebuild in counter_rebuilds():
            cursor.execute(
                "SELECT indexrelid::regclass::text FROM pg_index "
                "WHERE indrelid = %s::regclass AND indisprimary", [table])
            (primary_key,) = cursor.fetchone()
            cursor.execute(f"CLUSTER {table} USING {primary_key}")
