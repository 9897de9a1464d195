"""A batch of bulk rows (COPY text per table) and the run's running totals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from job.models import Job

# Tables in COPY order, with their columns; the generator writes rows in exactly this order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "trigger_event": ("id", "type", "rule_id", "description", "occurred"),
    "scale_file": (
        "id", "workspace_id", "file_name", "file_path", "media_type", "file_size",
        "data_type", "is_deleted", "uuid", "created", "deleted", "data_started",
        "data_ended", "geometry", "center_point", "meta_data", "last_modified",
        "job_type_id", "job_id", "job_exe_id", "is_operational", "is_published",
        "published", "unpublished",
    ),
    "job": (
        "id", "job_type_id", "job_type_rev_id", "event_id", "error_id", "status",
        "priority", "num_exes", "timeout", "max_tries", "cpus_required", "mem_required",
        "disk_in_required", "disk_out_required", "data", "results", "created", "queued",
        "started", "ended", "last_status_change", "last_modified",
    ),
    "job_exe": (
        "id", "job_id", "status", "error_id", "node_id", "command_arguments", "timeout",
        "pre_started", "pre_completed", "pre_exit_code", "job_started", "job_completed",
        "job_exit_code", "post_started", "post_completed", "post_exit_code", "created",
        "queued", "started", "ended", "last_modified", "stdout", "stderr", "cpus_scheduled",
        "mem_scheduled", "disk_in_scheduled", "disk_out_scheduled", "disk_total_scheduled",
    ),
    "job_input_file": ("id", "job_id", "input_file_id", "job_input"),
    "recipe": (
        "id", "recipe_type_id", "event_id", "data", "created", "completed", "last_modified",
    ),
    "recipe_job": ("id", "recipe_id", "job_id", "job_name"),
}  # fmt: skip
BULK_TABLES = tuple(COLUMNS)


@dataclass
class Batch:
    """One batch of rows, ready for COPY, and what it takes to redo it with other ids."""

    first_ids: dict[str, int]
    next_ids: dict[str, int]
    # Per table, its rows as one COPY text (a line each), and how many there are.
    rows: dict[str, str]
    counts: dict[str, int]
    statuses: Counter[str]
    product_files: int
    # The generator's state before the batch (to redo it) and the jobs still to come after.
    state: tuple
    remaining: int

    @property
    def jobs(self) -> int:
        return self.counts["job"]


@dataclass
class DemoSummary:
    """What one run wrote, for the command's report."""

    jobs_by_status: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((s.value for s in Job.Status), 0)
    )
    executions: int = 0
    source_files: int = 0
    product_files: int = 0
    job_input_files: int = 0
    events: int = 0
    recipes: int = 0
    recipe_jobs: int = 0
    # Into empty tables: the secondary indexes dropped for the load and built after it.
    indexes_rebuilt: int = 0
    index_seconds: float = 0.0
    # The counter ledgers' fold after the load (scale.counters.fold_all), and their
    # tables written anew without the pages the fold emptied.
    fold_seconds: float = 0.0

    @property
    def jobs(self) -> int:
        return sum(self.jobs_by_status.values())

    def add(self, batch: Batch) -> None:
        counts = batch.counts
        for status, count in batch.statuses.items():
            self.jobs_by_status[status] += count
        self.executions += counts["job_exe"]
        self.product_files += batch.product_files
        self.source_files += counts["scale_file"] - batch.product_files
        self.job_input_files += counts["job_input_file"]
        self.events += counts["trigger_event"]
        self.recipes += counts["recipe"]
        self.recipe_jobs += counts["recipe_job"]
