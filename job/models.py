from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan

from scale.counters import Ledger


class JobType(models.Model):
    """A kind of job (an algorithm in a Docker image) at one version."""

    name = models.CharField(max_length=50, db_index=True)
    version = models.CharField(max_length=50)
    title = models.CharField(max_length=50, blank=True, null=True)
    description = models.CharField(max_length=500, blank=True, null=True)
    category = models.CharField(max_length=50, blank=True, null=True, db_index=True)
    author_name = models.CharField(max_length=50, blank=True, null=True)
    author_url = models.TextField(blank=True, null=True)

    is_system = models.BooleanField(default=False)
    is_long_running = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_operational = models.BooleanField(default=True)
    is_paused = models.BooleanField(default=False)
    icon_code = models.CharField(max_length=20, blank=True, null=True)

    uses_docker = models.BooleanField(default=True)
    docker_privileged = models.BooleanField(default=False)
    docker_image = models.CharField(max_length=500, blank=True, null=True)
    priority = models.IntegerField(default=100)
    timeout = models.IntegerField(default=1800)
    max_tries = models.IntegerField(default=3)
    cpus_required = models.FloatField(default=1.0)
    mem_required = models.FloatField(default=64.0)
    disk_out_const_required = models.FloatField(default=64.0)
    disk_out_mult_required = models.FloatField(default=0.0)

    interface = models.JSONField(default=dict)
    # Exit codes to error names (architecture/error_interface.rst).
    error_mapping = models.JSONField(default=dict, db_default={})
    trigger_rule = models.ForeignKey(
        "trigger.TriggerRule",
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="job_types",
    )
    max_scheduled = models.IntegerField(blank=True, null=True)
    revision_num = models.IntegerField(default=1)

    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(blank=True, null=True)
    paused = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "job_type"
        ordering = ["name", "version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="job_type_name_version_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class JobTypeRevision(models.Model):
    """The interface of a job type as it was at one revision; jobs keep the one they ran."""

    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT, related_name="revisions")
    revision_num = models.IntegerField()
    interface = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "job_type_revision"
        ordering = ["job_type_id", "revision_num", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job_type", "revision_num"], name="job_type_revision_num_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_type_id} rev {self.revision_num}"


# How long after its status last changed a job may be modified again without being
# indexed apart (``job_status_lag_idx``): one write usually sets both.
STATUS_LAG = timedelta(minutes=1)
LAGGING = Q(GreaterThan(F("last_modified") - F("last_status_change"), STATUS_LAG))


class Job(models.Model):
    """One run of a job type on some input data, retried up to ``max_tries`` executions."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        BLOCKED = "BLOCKED"
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        FAILED = "FAILED"
        COMPLETED = "COMPLETED"
        CANCELED = "CANCELED"

    FINISHED_STATUSES = (Status.FAILED, Status.COMPLETED, Status.CANCELED)

    # job_type and error lead composite indexes below, which serve as their FK indexes.
    job_type = models.ForeignKey(
        JobType, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    job_type_rev = models.ForeignKey(JobTypeRevision, on_delete=models.PROTECT, related_name="jobs")
    event = models.ForeignKey("trigger.TriggerEvent", on_delete=models.PROTECT, related_name="jobs")
    error = models.ForeignKey(
        "error.Error",
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="jobs",
        db_index=False,
    )

    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING)
    priority = models.IntegerField(default=100)
    num_exes = models.IntegerField(default=0)
    timeout = models.IntegerField(default=1800)
    max_tries = models.IntegerField(default=3)
    cpus_required = models.FloatField(default=1.0)
    mem_required = models.FloatField(default=64.0)
    disk_in_required = models.FloatField(blank=True, null=True)
    disk_out_required = models.FloatField(blank=True, null=True)

    data = models.JSONField(default=dict)
    # {} until the job has results, as Scale's model gave it (clients read
    # results.output_data of every job).
    results = models.JSONField(default=dict, db_default={})

    created = models.DateTimeField(auto_now_add=True)
    queued = models.DateTimeField(blank=True, null=True)
    started = models.DateTimeField(blank=True, null=True)
    ended = models.DateTimeField(blank=True, null=True)
    last_status_change = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "job"
        ordering = ["last_modified", "id"]
        # Their own permissions, not change_job (which cancels): queuing runs code.
        permissions = [
            ("queue_job", "Can queue new jobs (POST /queue/new-job/)"),
            ("requeue_job", "Can requeue failed and canceled jobs (POST /queue/requeue-jobs/)"),
        ]
        indexes = [
            # Default order of /jobs/ and /jobs/executions/, and the started/ended window.
            models.Index(fields=["last_modified", "id"], name="job_last_modified_id_idx"),
            # Default order of /jobs/updates/; with last_modified, its window's jobs are
            # told from the index alone.
            models.Index(fields=["last_status_change", "id"], include=["last_modified"],
                         name="job_last_status_change_id_idx"),
            # The jobs modified over STATUS_LAG after their status last changed, few: those
            # of an /jobs/updates/ window whose status changed before it, read off this
            # index alone (``job.pagination.JobUpdatePaginator``).
            models.Index(fields=["last_modified", "last_status_change", "id"],
                         condition=LAGGING, name="job_status_lag_idx"),
            # The common filters, each followed by the default order so that a filtered
            # page is still read in index order.
            models.Index(fields=["status", "last_modified", "id"], name="job_status_lm_idx"),
            models.Index(fields=["job_type", "last_modified", "id"], name="job_type_lm_idx"),
            models.Index(fields=["error", "last_modified", "id"], name="job_error_lm_idx"),
            # /job-types/status/: a job type's jobs whose status changed in the window.
            models.Index(fields=["job_type", "last_status_change"], name="job_type_lsc_idx"),
            # /job-types/running/ and the RUNNING counts of /job-types/status/: the few
            # running jobs of a job type, and the longest running one, off a small index.
            models.Index(
                fields=["job_type", "started"],
                name="job_running_type_idx",
                condition=models.Q(status="RUNNING"),
            ),
            # /queue/status/: the queued jobs of each job type, read off this index alone.
            models.Index(
                fields=["job_type", "queued", "priority"],
                name="job_queued_type_idx",
                condition=models.Q(status="QUEUED"),
            ),
            # /job-types/system-failures/: the first and last failure of a (job type, error)
            # is one descent of this index each.
            models.Index(
                fields=["job_type", "error", "last_status_change"],
                name="job_failed_type_error_idx",
                condition=models.Q(status="FAILED"),
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"


class JobKeyLedger(Ledger):
    """The keys that the job lists count by: a ledger of jobs per (status, job type,
    error), and whatever a subclass adds (a time bucket, a day)."""

    status = models.CharField(max_length=50, choices=Job.Status.choices)
    # No FK constraints or indexes: the triggers copy the job's ids, which the job's FKs
    # check.
    job_type = models.ForeignKey(
        JobType,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    error = models.ForeignKey(
        "error.Error",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        blank=True,
        null=True,
        related_name="+",
    )
    count = models.BigIntegerField()

    class Meta(Ledger.Meta):
        abstract = True


class JobCount(JobKeyLedger):
    """How many jobs have one (status, job type, error): exact, kept by PostgreSQL itself.

    A ledger (``scale.counters``): statement-level triggers on ``job`` (migrations 0003,
    0012) append each statement's changes in the same transaction, whoever writes: the
    ORM, COPY, a scheduler's SQL, a TRUNCATE. They fire even under
    ``session_replication_role = replica``. A list filtered only by these columns counts
    its rows by summing a few rows here instead of scanning millions of jobs.
    """

    class Meta(JobKeyLedger.Meta):
        db_table = "job_count"
        ordering = ["status", "job_type_id", "error_id", "id"]

    def __str__(self) -> str:
        return (f"{self.count:+} {self.status} jobs of type {self.job_type_id}, "
                f"error {self.error_id}")


class JobBucketLedger(JobKeyLedger):
    """A ledger of jobs per (status, job type, error) and time bucket of one of their
    timestamps: ``width`` seconds (a day, an hour, a minute) from ``bucket``, aligned to
    UTC midnight. Every job is counted once at each width; a window sums its whole
    buckets, the widest that fit first."""

    WIDTHS = (86400, 3600, 60)

    width = models.PositiveIntegerField(help_text="The bucket's length in seconds.")
    bucket = models.DateTimeField(help_text="The start of the bucket.")

    class Meta(JobKeyLedger.Meta):
        abstract = True
        ordering = ["width", "bucket", "status", "job_type_id", "error_id", "id"]

    def __str__(self) -> str:
        return (f"{self.count:+} {self.status} jobs of type {self.job_type_id} in the "
                f"{self.width} s from {self.bucket}")


class JobTimeCount(JobBucketLedger):
    """How many jobs with one (status, job type, error) were last modified within one time
    bucket (``JobBucketLedger``).

    A ledger (``scale.counters``) kept by statement-level triggers on ``job`` (migration
    0012), as ``job_count`` is. A list with a time window (on ``last_modified``) counts its
    rows by summing the whole buckets of the window here, the widest first, and counting
    only the jobs of the two partial minutes at its edges (``CounterPaginator``).
    """

    class Meta(JobBucketLedger.Meta):
        db_table = "job_time_count"
        indexes = [
            *Ledger.Meta.indexes,
            # The window's buckets of each width.
            models.Index(fields=["width", "bucket"], name="job_time_count_bucket_idx"),
        ]


class JobStatusTimeCount(JobBucketLedger):
    """How many jobs with one (status, job type, error) had their status last changed
    within one time bucket (``JobBucketLedger``); a job whose status never changed is in
    no bucket.

    A ledger (``scale.counters``) kept by statement-level triggers on ``job`` (migration
    0014), as ``job_count`` is. A job type's counts of the jobs whose status changed in the
    last hours (``job_counts_6h`` of Job Type Details) sum the type's buckets from the
    window's first minute here, less the jobs of that minute before the window
    (``job.serializers.status_counts``).
    """

    class Meta(JobBucketLedger.Meta):
        db_table = "job_status_time_count"
        indexes = [
            *Ledger.Meta.indexes,
            # A job type's buckets of each width in the window.
            models.Index(fields=["job_type", "width", "bucket"],
                         name="job_status_time_type_idx"),
            # The newest minute in which a job type had jobs of a status.
            models.Index(fields=["job_type", "status", "width", "bucket"],
                         name="job_status_time_status_idx"),
        ]


class JobInputFile(models.Model):
    """One file that a job's data references (one row per file id, under its input name)."""

    # job leads job_input_file_job_file_uniq, which serves as its FK index.
    job = models.ForeignKey(
        Job, on_delete=models.PROTECT, related_name="input_file_links", db_index=False
    )
    input_file = models.ForeignKey(
        "storage.ScaleFile", on_delete=models.PROTECT, related_name="job_input_links"
    )
    job_input = models.CharField(max_length=250)

    class Meta:
        db_table = "job_input_file"
        ordering = ["job_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "input_file"], name="job_input_file_job_file_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} input {self.job_input}: file {self.input_file_id}"


class JobDayCount(JobKeyLedger):
    """How many jobs ended on one day (UTC) with one (status, job type, error): the daily
    job type metrics (``/metrics/job-types/plot-data/``), exact, kept by PostgreSQL itself.

    A ledger (``scale.counters``): statement-level triggers on ``job`` (migrations 0010,
    0012) count every job that has ended as COMPLETED, FAILED or CANCELED under the day of
    its ``ended``, in the writer's own transaction, as ``job_count``'s do; a job that is
    re-run leaves its old day.
    """

    occurred = models.DateField()

    class Meta(JobKeyLedger.Meta):
        db_table = "job_day_count"
        ordering = ["occurred", "job_type_id", "status", "error_id", "id"]
        indexes = [
            *Ledger.Meta.indexes,
            # The plot data's window.
            models.Index(fields=["occurred"], name="job_day_count_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.status} jobs of type {self.job_type_id} on {self.occurred}"


class JobLoadChange(Ledger):
    """The net change, within one hour (UTC), of how many jobs of one job type were
    PENDING, QUEUED and RUNNING: ``/load/`` sums them into the counts at each hour.

    A job's own timestamps say when it was in each state: PENDING from ``created`` until
    it was queued (or started, or ended), QUEUED from ``queued`` until it started (or
    ended), RUNNING from ``started`` until it ended; a state it has left without the next
    timestamp ends at its ``last_status_change``, and the state it is in now has not ended.
    A ledger (``scale.counters``): statement-level triggers on ``job`` (migrations 0010,
    0012) append each written job's +1 and -1
    at the hours those intervals start and end, and take back the old row's, in the
    writer's own transaction: the sum of every change before an hour is the number of
    jobs in each state at that hour, as the jobs themselves tell it.
    """

    hour = models.DateTimeField()
    job_type = models.ForeignKey(
        JobType, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    pending = models.BigIntegerField(default=0)
    queued = models.BigIntegerField(default=0)
    running = models.BigIntegerField(default=0)

    VALUES = ("pending", "queued", "running")

    class Meta(Ledger.Meta):
        db_table = "job_load_change"
        ordering = ["hour", "job_type_id", "id"]
        indexes = [
            *Ledger.Meta.indexes,
            # The window's reads.
            models.Index(fields=["hour"], name="job_load_change_hour_idx"),
        ]

    def __str__(self) -> str:
        changes = f"{self.pending}/{self.queued}/{self.running}"
        return f"job type {self.job_type_id} at {self.hour}: {changes} pending/queued/running"
