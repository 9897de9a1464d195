"""State changes of executions, as workers report them (``job_exe.runner``).

Each is one transaction that locks the job's row, then the execution's (the order
``job.services.job_cancel`` takes them in, so the two never deadlock), and changes
nothing unless the execution is still in the state the worker believes: a cancel or a
lost-execution sweep that got there first wins, and the worker's late report is dropped.
Each writes the job before the execution, as ``job_queue_new`` and ``job_cancel`` do, so
that whatever the two tables' triggers lock is taken in one order everywhere: with the
counters upserted into one row per key, a claim that wrote the execution first deadlocked
against a job being queued (``make bench-workers``).

- ``job_exe_claim``: QUEUED → RUNNING on a node (the job too), its lease started;
- ``job_exe_renew``: the lease extended and the logs so far stored, while RUNNING;
- ``job_exe_update_phase``: a phase's timestamps and exit code;
- ``job_exe_fail``: FAILED with an error; the job QUEUED again with a new execution while
  ``num_exes < max_tries``, else FAILED with that error;
- ``job_exe_complete``: COMPLETED with its products registered and the job's results;
- ``job_exes_fail_lost``: every RUNNING execution whose lease expired, FAILED (node-lost);
- ``node_register`` / ``node_keep_alive``: the worker's host as a Node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone

from error.builtins import builtin_error
from error.models import Error
from job.models import Job, JobType
from job.services import queue_executions
from job_exe.models import JobExecution, Node
from storage.models import ScaleFile


def _lease_from_now():
    """The database's now() plus the lease: one clock for every worker and the sweep."""
    return ExpressionWrapper(
        Now() + Value(timedelta(seconds=settings.SCALE_LEASE_SECONDS)),
        output_field=DateTimeField(),
    )


def _locked(job_exe_id: int) -> tuple[Job, JobExecution] | None:
    """The execution's job, then the execution, each locked FOR UPDATE."""
    job_id = JobExecution.objects.filter(pk=job_exe_id).values_list("job_id", flat=True).first()
    if job_id is None:
        return None
    job = (
        Job.objects.select_for_update(of=("self",))
        .select_related("job_type", "job_type_rev")
        .get(pk=job_id)
    )
    execution = (
        JobExecution.objects.select_for_update()
        .defer("stdout", "stderr")
        .get(pk=job_exe_id)
    )
    return job, execution


@dataclass(frozen=True)
class ClaimedExecution:
    """What a worker needs to run the execution it claimed."""

    job_exe_id: int
    job_id: int
    job_type: JobType
    interface: dict[str, Any]
    data: dict[str, Any]
    timeout: int


@transaction.atomic
def job_exe_claim(*, job_exe_id: int, node_id: int) -> ClaimedExecution | None:
    """Start the execution on the node if it (and its job) are still QUEUED; None when it
    is not (canceled before any worker got to it, or already run): nothing then runs."""
    locked = _locked(job_exe_id)
    if locked is None:
        return None
    job, execution = locked
    if execution.status != JobExecution.Status.QUEUED or job.status != Job.Status.QUEUED:
        return None
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started=now, last_status_change=now, last_modified=now
    )
    JobExecution.objects.filter(pk=job_exe_id).update(
        status=JobExecution.Status.RUNNING, node_id=node_id, started=now, pre_started=now,
        lease_expires=_lease_from_now(), last_modified=now,
    )
    return ClaimedExecution(
        job_exe_id=job_exe_id, job_id=job.pk, job_type=job.job_type,
        interface=job.job_type_rev.interface or {}, data=job.data or {},
        timeout=execution.timeout,
    )


def job_exe_renew(*, job_exe_id: int, stdout: str | None = None,
                  stderr: str | None = None) -> bool:
    """Extend a RUNNING execution's lease and store its logs so far (when given); whether
    it is still RUNNING (False: canceled, or found lost: its worker must stop it).

    One UPDATE, no row lock beyond it. ``last_modified`` is left alone: a lease renewed
    every second is no change a client polls for.
    """
    changes: dict[str, Any] = {"lease_expires": _lease_from_now()}
    if stdout is not None:
        changes["stdout"] = stdout
    if stderr is not None:
        changes["stderr"] = stderr
    return bool(
        JobExecution.objects.filter(pk=job_exe_id, status=JobExecution.Status.RUNNING)
        .update(**changes)
    )


def job_exe_update_phase(*, job_exe_id: int, **phase: datetime | int | None) -> bool:
    """Record phase timestamps and exit codes (``pre_completed``, ``job_started``, ...) of
    a RUNNING execution; whether it is still RUNNING."""
    allowed = {"pre_completed", "pre_exit_code", "job_started", "job_completed",
               "job_exit_code", "post_started"}
    unknown = set(phase) - allowed
    if unknown:
        raise ValueError(f"not phase fields: {', '.join(sorted(unknown))}")
    return bool(
        JobExecution.objects.filter(pk=job_exe_id, status=JobExecution.Status.RUNNING)
        .update(**phase, last_modified=timezone.now())
    )


def job_exe_store_logs(*, job_exe_id: int, stdout: str, stderr: str) -> None:
    """The final logs of an execution that ended, whatever ended it (a cancel included)."""
    JobExecution.objects.filter(pk=job_exe_id).update(stdout=stdout, stderr=stderr)


@dataclass(frozen=True)
class FailResult:
    failed: bool  # False: the execution was no longer RUNNING; nothing changed
    requeued: bool = False


@transaction.atomic
def job_exe_fail(
    *,
    job_exe_id: int,
    error: Error,
    only_if_lease_expired: bool = False,
    stdout: str | None = None,
    stderr: str | None = None,
    **phase: datetime | int | None,
) -> FailResult:
    """Fail a RUNNING execution with ``error``; the job is queued again (a new execution,
    ``num_exes`` + 1) while it has tries left, else FAILED with the same error.

    ``only_if_lease_expired``: the lost-execution sweep's check, made again under the lock
    (a worker that renewed meanwhile keeps its execution).
    """
    locked = _locked(job_exe_id)
    if locked is None:
        return FailResult(failed=False)
    job, execution = locked
    if execution.status != JobExecution.Status.RUNNING:
        return FailResult(failed=False)
    if only_if_lease_expired and not JobExecution.objects.filter(
        pk=job_exe_id, lease_expires__lt=Now()
    ).exists():
        return FailResult(failed=False)
    now = timezone.now()
    changes: dict[str, Any] = {**phase}
    if stdout is not None:
        changes["stdout"] = stdout
    if stderr is not None:
        changes["stderr"] = stderr
    requeued = job.status == Job.Status.RUNNING and job.num_exes < job.max_tries
    if requeued:
        job.status = Job.Status.QUEUED
        job.num_exes += 1
        job.error = None
        job.queued = now
        job.started = None
        job.last_status_change = now
        job.save(update_fields=["status", "num_exes", "error", "queued", "started",
                                "last_status_change", "last_modified"])
    elif job.status == Job.Status.RUNNING:
        job.status = Job.Status.FAILED
        job.error = error
        job.ended = now
        job.last_status_change = now
        job.save(update_fields=["status", "error", "ended", "last_status_change",
                                "last_modified"])
    JobExecution.objects.filter(pk=job_exe_id).update(
        status=JobExecution.Status.FAILED, error=error, ended=now, lease_expires=None,
        last_modified=now, **changes,
    )
    if requeued:
        queue_executions([job], now=now)
    return FailResult(failed=True, requeued=requeued)


@dataclass(frozen=True)
class Product:
    """An output file a worker placed in its workspace, to be registered."""

    output_name: str
    workspace_id: int
    file_name: str
    file_path: str  # relative to the workspace's local_path
    media_type: str
    file_size: int
    uuid: str
    meta_data: dict = field(default_factory=dict)


@transaction.atomic
def job_exe_complete(
    *,
    job_exe_id: int,
    products: list[Product],
    output_types: dict[str, str],
    results_manifest: dict,
    stdout: str,
    stderr: str,
) -> bool:
    """Complete a RUNNING execution and its job: its products registered as ScaleFiles of
    their workspaces, the job's and the execution's ``results`` naming them per output
    (``file_id`` for a file output, ``file_ids`` for files). False when it was no longer
    RUNNING (canceled or lost meanwhile): nothing is registered then."""
    locked = _locked(job_exe_id)
    if locked is None:
        return False
    job, execution = locked
    if execution.status != JobExecution.Status.RUNNING or job.status != Job.Status.RUNNING:
        return False
    now = timezone.now()
    files = ScaleFile.objects.bulk_create(
        ScaleFile(
            workspace_id=p.workspace_id, file_name=p.file_name, file_path=p.file_path,
            media_type=p.media_type, file_size=p.file_size, uuid=p.uuid,
            meta_data=p.meta_data, job_type_id=job.job_type_id, job=job,
            job_exe_id=job_exe_id, is_operational=job.job_type.is_operational,
            is_published=True, published=now,
        )
        for p in products
    )
    by_output: dict[str, list[int]] = {}
    for product, scale_file in zip(products, files, strict=True):
        by_output.setdefault(product.output_name, []).append(scale_file.pk)
    output_data = []
    for name, ids in by_output.items():
        if output_types.get(name) == "files":
            output_data.append({"name": name, "file_ids": ids})
        else:
            output_data.append({"name": name, "file_id": ids[0]})
    results = {"version": "1.0", "output_data": output_data}
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.COMPLETED, results=results, error=None, ended=now,
        last_status_change=now, last_modified=now,
    )
    JobExecution.objects.filter(pk=job_exe_id).update(
        status=JobExecution.Status.COMPLETED, results=results,
        results_manifest=results_manifest, post_completed=now, ended=now,
        lease_expires=None, last_modified=now, stdout=stdout, stderr=stderr,
    )
    return True


def job_exes_fail_lost() -> int:
    """Fail every RUNNING execution whose lease expired (its worker died or lost the
    database for longer than the lease) with ``node-lost``; how many. Each is its own
    transaction through ``job_exe_fail``, which checks the lease again under the lock."""
    lost = list(
        JobExecution.objects.filter(
            status=JobExecution.Status.RUNNING, lease_expires__lt=Now()
        ).values_list("id", flat=True)[:1000]
    )
    if not lost:
        return 0
    error = builtin_error("node-lost")
    return sum(
        job_exe_fail(job_exe_id=job_exe_id, error=error, only_if_lease_expired=True).failed
        for job_exe_id in lost
    )


def _alive_from_now():
    """The database's now() plus how long a keep-alive vouches for a node."""
    return ExpressionWrapper(
        Now() + Value(timedelta(seconds=settings.SCALE_NODE_ALIVE_SECONDS)),
        output_field=DateTimeField(),
    )


@transaction.atomic
def node_register(
    *, hostname: str, cpus: float | None = None, mem: float | None = None,
    disk: float | None = None,
) -> int:
    """The worker's host as an active, online Node (created the first time); its id.
    Workers of one host share it. ``port`` is 0: a worker listens on none. The hardware
    the worker found (CPUs, memory and disk in MiB) replaces what was reported before,
    when it found it."""
    node, _ = Node.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"port": 0, "slave_id": hostname}
    )
    hardware = {
        name: value
        for name, value in (("cpus_total", cpus), ("mem_total", mem), ("disk_total", disk))
        if value is not None
    }
    Node.objects.filter(pk=node.pk).update(
        is_active=True, archived=None, alive_until=_alive_from_now(),
        last_modified=timezone.now(), **hardware,
    )
    return node.pk


def node_keep_alive(*, node_id: int) -> None:
    """A worker's sign of life on its node: online for ``SCALE_NODE_ALIVE_SECONDS`` more
    (never less than another worker of the host vouched for), ``last_modified`` now."""
    Node.objects.filter(pk=node_id).update(
        last_modified=timezone.now(), is_active=True,
        alive_until=Greatest(_alive_from_now(), Coalesce("alive_until", _alive_from_now())),
    )
