from django.db import models


class Workspace(models.Model):
    """A storage location that holds source files and products."""

    name = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=50, blank=True, null=True)
    description = models.CharField(max_length=500, blank=True, null=True)
    base_url = models.URLField(blank=True, null=True)
    is_active = models.BooleanField(default=True)
    # Disk space in bytes, null when not known (workspace.rst).
    used_size = models.BigIntegerField(blank=True, null=True)
    total_size = models.BigIntegerField(blank=True, null=True)
    # How files are reached: {"version": "1.0", "broker": {"type": ..., ...}}.
    json_config = models.JSONField(default=dict, db_default={})
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "workspace"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScaleFile(models.Model):
    """A file in a workspace: a source file, or a product when the job columns are set."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT)
    file_name = models.CharField(max_length=250)
    file_path = models.CharField(max_length=1000)
    media_type = models.CharField(max_length=250)
    file_size = models.BigIntegerField()
    data_type = models.TextField(blank=True, default="")
    is_deleted = models.BooleanField(default=False)
    uuid = models.CharField(max_length=32)
    created = models.DateTimeField(auto_now_add=True)
    deleted = models.DateTimeField(blank=True, null=True)
    data_started = models.DateTimeField(blank=True, null=True)
    data_ended = models.DateTimeField(blank=True, null=True)
    geometry = models.TextField(blank=True, null=True)
    center_point = models.TextField(blank=True, null=True)
    meta_data = models.JSONField(default=dict, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    # Product columns: null for source files.
    job_type = models.ForeignKey(
        "job.JobType", on_delete=models.PROTECT, blank=True, null=True, related_name="products"
    )
    job = models.ForeignKey(
        "job.Job", on_delete=models.PROTECT, blank=True, null=True, related_name="products"
    )
    job_exe = models.ForeignKey(
        "job_exe.JobExecution",
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="products",
    )
    is_operational = models.BooleanField(blank=True, null=True)
    is_published = models.BooleanField(blank=True, null=True)
    published = models.DateTimeField(blank=True, null=True)
    unpublished = models.DateTimeField(blank=True, null=True)

    class Meta:
        db_table = "scale_file"
        ordering = ["id"]
        # Exact uuid look-ups only (the admin's search): a plain btree, without the
        # pattern-ops twin that db_index adds to a CharField. file_name has no index:
        # it is only searched by substring, which no btree serves.
        indexes = [models.Index(fields=["uuid"], name="scale_file_uuid_idx")]

    def __str__(self) -> str:
        return self.file_name
