from django.db import models

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
    # (Scale asked its Mesos master; none runs here): false until reported.
    is_online = models.BooleanField(default=False, db_default=False)
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
