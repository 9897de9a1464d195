from collections.abc import Callable
from datetime import datetime

from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest, Now

from scale.counters import Ledger


class Node(models.Model):
    """A cluster host that runs job executions."""

    hostname = models.CharField(max_length=250, unique=True)
    port = models.IntegerField()
    slave_id = models.CharField(max_length=250, db_index=True)
    pause_reason = models.CharField(max_length=250, blank=True, null=True)
    is_paused = models.BooleanField(default=False)
    # Paused automatically because of a high error rate, not by an operator.
    is_paused_errors = models.BooleanField(default=False, db_default=False)
    is_active = models.BooleanField(default=True)
    # Whether the node's agent is connected, as whoever manages the nodes last reported it
    # (Scale asked its Mesos master; none runs here): false until reported. For a node that
    # workers keep alive (``alive_until`` set), the API reads ``alive_until`` instead
    # (``node_online``).
    is_online = models.BooleanField(default=False, db_default=False)
    # Until when the workers on this host vouch for it: each keep-alive of a worker
    # (``manage.py scale_worker``) moves it to the database's now() plus
    # ``SCALE_NODE_ALIVE_SECONDS``; null for a node no worker ever registered.
    alive_until = models.DateTimeField(blank=True, null=True)
    # The node's hardware as it was last reported (Scale read it from Mesos): CPUs, and
    # memory and disk in MiB; null when not reported. /status/ sums it over the online nodes.
    cpus_total = models.FloatField(blank=True, null=True)
    mem_total = models.FloatField(blank=True, null=True)
    disk_total = models.FloatField(blank=True, null=True)
    archived = models.DateTimeField(blank=True, null=True)
    created = models.DateTimeField(auto_now_add=True)
    # When Mesos last offered the node's resources: null here, where no Mesos runs.
    last_offer = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "node"
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname

    def online(self, now: datetime) -> bool:
        """``node_online`` in Python, at ``now``."""
        if self.alive_until is None:
            return self.is_online
        return self.alive_until > now


def node_online(ref: Callable[[str], F] = F) -> models.Expression:
    """Whether a node is online, as of the statement's now(): while a worker keeps it alive
    (``alive_until`` in the future) when workers manage it, else as last reported
    (``is_online``). Computed on read, so a worker that was killed makes its node offline
    as soon as its last keep-alive lapses, with nothing left to write that down.

    ``ref`` names a column of the node (``F``, or a path from the model read)."""
    alive_until = ref("alive_until")
    return models.Case(
        models.When(**{f"{alive_until.name}__isnull": True}, then=ref("is_online")),
        default=models.ExpressionWrapper(
            models.Q(**{f"{alive_until.name}__gt": Now()}), output_field=models.BooleanField()
        ),
        output_field=models.BooleanField(),
    )


class JobExecution(models.Model):
    """One attempt at running a job: pre-task, the job task itself, post-task."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        FAILED = "FAILED"
        COMPLETED = "COMPLETED"
        CANCELED = "CANCELED"

    UNFINISHED_STATUSES = (Status.QUEUED, Status.RUNNING)

    # job leads job_exe_job_created_idx, which serves as its FK index.
    job = models.ForeignKey(
        "job.Job", on_delete=models.PROTECT, related_name="job_exes", db_index=False
    )
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.QUEUED)
    error = models.ForeignKey(
        "error.Error", on_delete=models.PROTECT, blank=True, null=True, related_name="job_exes"
    )
    node = models.ForeignKey(
        Node, on_delete=models.PROTECT, blank=True, null=True, related_name="job_exes"
    )
    command_arguments = models.CharField(max_length=1000, blank=True, default="")
    timeout = models.IntegerField(default=1800)
    environment = models.JSONField(default=dict, db_default={})
    cpus_scheduled = models.FloatField(blank=True, null=True)
    mem_scheduled = models.FloatField(blank=True, null=True)
    disk_in_scheduled = models.FloatField(blank=True, null=True)
    disk_out_scheduled = models.FloatField(blank=True, null=True)
    disk_total_scheduled = models.FloatField(blank=True, null=True)
    results = models.JSONField(default=dict, db_default={})
    results_manifest = models.JSONField(default=dict, db_default={})

    pre_started = models.DateTimeField(blank=True, null=True)
    pre_completed = models.DateTimeField(blank=True, null=True)
    pre_exit_code = models.IntegerField(blank=True, null=True)
    job_started = models.DateTimeField(blank=True, null=True)
    job_completed = models.DateTimeField(blank=True, null=True)
    job_exit_code = models.IntegerField(blank=True, null=True)
    post_started = models.DateTimeField(blank=True, null=True)
    post_completed = models.DateTimeField(blank=True, null=True)
    post_exit_code = models.IntegerField(blank=True, null=True)

    created = models.DateTimeField(auto_now_add=True)
    queued = models.DateTimeField()
    started = models.DateTimeField(blank=True, null=True)
    ended = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)
    # The Procrastinate job that runs this execution (``job_exe.tasks.run_execution``).
    task_id = models.BigIntegerField(blank=True, null=True)
    # Until when the worker running it vouches for it: it renews this every second while
    # the execution is RUNNING; past it, the execution is lost (``job_exes_fail_lost``).
    lease_expires = models.DateTimeField(blank=True, null=True)

    # Large logs: list and detail queries defer them.
    stdout = models.TextField(blank=True, null=True)
    stderr = models.TextField(blank=True, null=True)

    class Meta:
        db_table = "job_exe"
        ordering = ["job_id", "created", "id"]
        indexes = [
            # Newest execution of a job (latest_job_exe, job_exes newest first).
            models.Index(fields=["job", "-created", "-id"], name="job_exe_job_created_idx"),
            models.Index(fields=["status"], name="job_exe_status_idx"),
            # A node's recent executions (/nodes/status/ counts them by status).
            models.Index(fields=["node", "last_modified"], name="job_exe_node_modified_idx"),
            # Default order of /job-executions/, and its started/ended window.
            models.Index(fields=["last_modified", "id"], name="job_exe_last_modified_id_idx"),
            # The running executions whose lease expired: their worker is gone.
            models.Index(
                fields=["lease_expires"],
                name="job_exe_running_lease_idx",
                condition=models.Q(status="RUNNING"),
            ),
            # The completed executions of a day: the times of a key of job_exe_day_time
            # whose extremes must be computed again (JobExecutionDayTime.stale).
            models.Index(
                fields=["ended"],
                name="job_exe_completed_ended_idx",
                condition=models.Q(status="COMPLETED"),
            ),
        ]

    def __str__(self) -> str:
        return f"execution {self.pk} of job {self.job_id} ({self.status})"


class JobExecutionCount(Ledger):
    """How many executions have one (status, job type, node): exact, kept by PostgreSQL
    itself, as ``job.models.JobCount`` is for jobs.

    A ledger (``scale.counters``): statement-level triggers on ``job_exe`` (migrations
    0006, 0010) append each statement's changes in the same transaction, whoever writes
    (COPY and TRUNCATE included, and under ``session_replication_role = replica``). The
    job type is the job's, which never changes. ``/job-executions/`` filtered only by
    these keys counts its rows by summing a few rows here instead of scanning every
    execution.
    """

    status = models.CharField(max_length=50, choices=JobExecution.Status.choices)
    # No FK constraints or indexes: the triggers copy ids that the executions' own FKs
    # check, and the table is small (a few rows per combination that ever occurred).
    job_type = models.ForeignKey(
        "job.JobType", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    node = models.ForeignKey(
        Node, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        blank=True, null=True, related_name="+",
    )
    count = models.BigIntegerField()

    class Meta(Ledger.Meta):
        db_table = "job_exe_count"
        ordering = ["status", "job_type_id", "node_id", "id"]

    def __str__(self) -> str:
        return (f"{self.count} {self.status} executions of job type {self.job_type_id} "
                f"on node {self.node_id}")


EXECUTION_MEASURES = ("queue", "pre", "job", "post", "run", "stage")
"""The times of a COMPLETED execution that the job type metrics plot (in seconds, never
negative): queue (queued to started), pre, job and post (each task's started to
completed), run (started to ended) and stage (run less the three tasks: the system's own
overhead). A time whose timestamps are missing is not measured."""


class Seconds(models.Func):
    """``job_exe_seconds(from, to)`` (migration 0012): the seconds between two timestamps,
    never negative; null unless both are known."""

    function = "job_exe_seconds"
    output_field = models.FloatField()


def execution_times(ref: Callable[[str], F] = F) -> dict[str, models.Expression]:
    """The ``EXECUTION_MEASURES`` of an execution as expressions, as the triggers of
    ``job_exe_day_time`` compute them."""
    times = {
        "queue": Seconds(ref("queued"), ref("started")),
        "pre": Seconds(ref("pre_started"), ref("pre_completed")),
        "job": Seconds(ref("job_started"), ref("job_completed")),
        "post": Seconds(ref("post_started"), ref("post_completed")),
        "run": Seconds(ref("started"), ref("ended")),
    }
    zero = models.Value(0.0)
    tasks = [Coalesce(times[name], zero) for name in ("pre", "job", "post")]
    times["stage"] = models.Case(models.When(
        **{f"{ref('started').name}__isnull": False, f"{ref('ended').name}__isnull": False},
        then=Greatest(times["run"] - tasks[0] - tasks[1] - tasks[2], zero),
    ), output_field=models.FloatField())
    return times


class JobExecutionDayTime(models.Model):
    """The times (``EXECUTION_MEASURES``) of the executions that COMPLETED on one day (UTC,
    by their ``ended``), of one job type: ``/metrics/job-types/plot-data/``'s time
    columns.

    Append-only, kept by statement-level triggers on ``job_exe`` (migration 0012): each
    statement that adds or removes completed executions inserts one row per (day, job
    type) with its deltas: how many executions each time was measured for and their sum
    of seconds (negative for those removed), and the least and greatest time among those
    it added. Nothing updates a row; readers sum a key's rows, and take the least of its
    ``*_min`` and the greatest of its ``*_max``. Those are exact while a key only ever
    gained executions; a statement that took one away marks its row ``stale``, and a
    reader then computes that key's extremes from the executions themselves
    (``job_exe_completed_ended_idx``), until ``job_exe_day_time_fold`` (the workers, every
    minute) sums the key's rows into one, with its extremes read from its executions.
    ``job_exe_day_time_rebuild`` (``manage.py recount_jobs``) writes every row again from
    the executions.
    """

    occurred = models.DateField()
    job_type = models.ForeignKey(
        "job.JobType", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    # A row of a statement that removed completed executions of this key.
    stale = models.BooleanField(default=False)
    count = models.BigIntegerField(default=0)  # the completed executions
    queue_count = models.BigIntegerField(default=0)
    queue_sum = models.FloatField(default=0.0)
    queue_min = models.FloatField(blank=True, null=True)
    queue_max = models.FloatField(blank=True, null=True)
    pre_count = models.BigIntegerField(default=0)
    pre_sum = models.FloatField(default=0.0)
    pre_min = models.FloatField(blank=True, null=True)
    pre_max = models.FloatField(blank=True, null=True)
    job_count = models.BigIntegerField(default=0)
    job_sum = models.FloatField(default=0.0)
    job_min = models.FloatField(blank=True, null=True)
    job_max = models.FloatField(blank=True, null=True)
    post_count = models.BigIntegerField(default=0)
    post_sum = models.FloatField(default=0.0)
    post_min = models.FloatField(blank=True, null=True)
    post_max = models.FloatField(blank=True, null=True)
    run_count = models.BigIntegerField(default=0)
    run_sum = models.FloatField(default=0.0)
    run_min = models.FloatField(blank=True, null=True)
    run_max = models.FloatField(blank=True, null=True)
    stage_count = models.BigIntegerField(default=0)
    stage_sum = models.FloatField(default=0.0)
    stage_min = models.FloatField(blank=True, null=True)
    stage_max = models.FloatField(blank=True, null=True)

    class Meta:
        db_table = "job_exe_day_time"
        ordering = ["occurred", "job_type_id", "id"]
        indexes = [
            # The plot data's window of days (a key's rows are summed on read).
            models.Index(fields=["occurred", "job_type"], name="job_exe_day_time_key_idx"),
        ]

    def __str__(self) -> str:
        return f"times of job type {self.job_type_id} on {self.occurred}"
