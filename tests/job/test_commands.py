"""manage.py cancel_jobs, purge_jobs and job_stats, run through call_command."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from job.models import Job, JobInputFile
from job_exe.models import JobExecution
from recipe.models import Recipe, RecipeJob
from storage.models import ScaleFile
from tests import factories
from tests.job.conftest import set_times

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def statuses() -> dict[int, str]:
    return dict(Job.objects.values_list("id", "status"))


# cancel_jobs -------------------------------------------------------------------------


@pytest.fixture
def mixed_jobs():
    """Jobs of job type "ingest" in every interesting status, and one of another type."""
    ingest = factories.JobTypeFactory(name="ingest", category="landsat")
    jobs = {
        status: factories.JobFactory(job_type=ingest, status=status)
        for status in ("QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED")
    }
    jobs["other"] = factories.JobFactory(
        job_type=factories.JobTypeFactory(name="parse"), status="QUEUED"
    )
    jobs["running_exe"] = factories.JobExecutionFactory(job=jobs["RUNNING"], status="RUNNING")
    return jobs


def test_cancel_jobs_cancels_what_the_filters_select_and_counts_what_it_skips(mixed_jobs):
    out = run("cancel_jobs", "--job-type-name", "ingest")

    assert out == "Canceled 3 jobs; skipped 2: 1 already canceled, 1 completed.\n"
    assert statuses() == {
        mixed_jobs["QUEUED"].id: "CANCELED",
        mixed_jobs["RUNNING"].id: "CANCELED",
        mixed_jobs["FAILED"].id: "CANCELED",
        mixed_jobs["COMPLETED"].id: "COMPLETED",
        mixed_jobs["CANCELED"].id: "CANCELED",
        mixed_jobs["other"].id: "QUEUED",
    }
    mixed_jobs["running_exe"].refresh_from_db()
    assert mixed_jobs["running_exe"].status == JobExecution.Status.CANCELED


def test_cancel_jobs_takes_repeated_filters_and_small_batches(mixed_jobs):
    out = run(
        "cancel_jobs", "--status", "QUEUED", "--status", "RUNNING", "--batch-size", "1"
    )
    assert out == "Canceled 3 jobs.\n"
    assert {job_id for job_id, status in statuses().items() if status == "CANCELED"} == {
        mixed_jobs["QUEUED"].id,
        mixed_jobs["RUNNING"].id,
        mixed_jobs["other"].id,
        mixed_jobs["CANCELED"].id,
    }


def test_cancel_jobs_filters_by_id_job_type_id_category_and_error_category(mixed_jobs):
    failed = mixed_jobs["FAILED"]
    failed.error = factories.ErrorFactory(category="DATA")
    failed.save(update_fields=["error"])

    assert run("cancel_jobs", "--error-category", "DATA") == "Canceled 1 job.\n"
    assert run("cancel_jobs", "--job-id", str(mixed_jobs["other"].id)) == "Canceled 1 job.\n"
    assert run(
        "cancel_jobs", "--job-type-id", str(mixed_jobs["QUEUED"].job_type_id),
        "--job-type-category", "landsat", "--status", "QUEUED",
    ) == "Canceled 1 job.\n"
    assert statuses()[mixed_jobs["RUNNING"].id] == "RUNNING"


def test_cancel_jobs_time_window_is_the_apis_window_on_last_modified(mixed_jobs):
    old = mixed_jobs["QUEUED"]
    set_times(old, last_modified=datetime(2015, 1, 1, tzinfo=UTC))

    out = run("cancel_jobs", "--ended", "2015-06-01T00:00:00Z")

    assert out == "Canceled 1 job.\n"
    assert statuses()[old.id] == "CANCELED"
    assert statuses()[mixed_jobs["RUNNING"].id] == "RUNNING"


def test_cancel_jobs_dry_run_prints_the_count_and_a_sample_and_changes_nothing(mixed_jobs):
    before = statuses()
    expected_ids = sorted(mixed_jobs[s].id for s in ("QUEUED", "RUNNING", "FAILED"))

    out = run("cancel_jobs", "--job-type-name", "ingest", "--dry-run")

    assert out == (
        f"Dry run: would cancel 3 jobs (ids {', '.join(map(str, expected_ids))}); "
        f"would skip 2: 1 already canceled, 1 completed. Nothing was changed.\n"
    )
    assert statuses() == before


def test_cancel_jobs_dry_run_sample_is_the_first_ten_ids():
    jobs = factories.JobFactory.create_batch(12, status="PENDING")
    out = run("cancel_jobs", "--status", "PENDING", "--dry-run")
    sample = ", ".join(str(job.id) for job in jobs[:10])
    assert out == f"Dry run: would cancel 12 jobs (ids {sample}, ...). Nothing was changed.\n"


def test_cancel_jobs_without_a_filter_is_refused_unless_all_is_given(mixed_jobs):
    with pytest.raises(CommandError) as refused:
        run("cancel_jobs")
    assert str(refused.value) == (
        "no filter given: pass at least one of --started, --ended, --status, "
        "--job-type-id, --job-type-name, --job-type-category, --error-category, --job-id, "
        "or --all to cancel every cancelable job"
    )
    assert set(statuses().values()) == {"QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"}

    assert run("cancel_jobs", "--all") == (
        "Canceled 4 jobs; skipped 2: 1 already canceled, 1 completed.\n"
    )


def test_cancel_jobs_refuses_an_empty_filter_value_as_the_api_does(mixed_jobs):
    # An empty shell variable must not widen the selection to every job.
    with pytest.raises(CommandError) as failed:
        run("cancel_jobs", "--job-type-name", "")
    assert str(failed.value) == "job_type_name: '' is not valid: This field is required."
    assert statuses()[mixed_jobs["QUEUED"].id] == "QUEUED"


@pytest.mark.parametrize(
    "query",
    [
        {"status": "BOGUS"},
        {"job_id": "abc"},
        {"job_type_id": "0"},
        {"error_category": "DISK"},
        {"started": "yesterday"},
        {"started": "2015-01-01T00:00:00"},
        {"started": "2016-01-01T00:00:00Z", "ended": "2015-01-01T00:00:00Z"},
    ],
    ids=lambda query: "-".join(f"{k}={v}" for k, v in query.items()),
)
def test_cancel_jobs_bad_filter_fails_with_the_apis_message(api_client, query):
    api = api_client.get("/jobs/", query)
    options = [part for k, v in query.items() for part in ("--" + k.replace("_", "-"), v)]

    with pytest.raises(CommandError) as failed:
        run("cancel_jobs", *options)

    assert api.status_code == 400
    assert str(failed.value) == api.content.decode().strip()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--status", "QUEUED", "--batch-size", "0"],
            "--batch-size must be from 1 to 10000, not 0",
        ),
        (["--bogus"], "Error: unrecognized arguments: --bogus"),
        (["--batch-size", "x"], "Error: argument --batch-size: invalid int value: 'x'"),
    ],
)
def test_cancel_jobs_bad_arguments_fail_with_one_line(options, message):
    with pytest.raises(CommandError) as failed:
        run("cancel_jobs", *options)
    assert str(failed.value) == message


def test_bad_arguments_from_the_command_line_print_one_line_and_exit_non_zero():
    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
            timeout=60,
        )

    bad_value = manage("cancel_jobs", "--error-category", "DISK")
    unknown = manage("purge_jobs", "--older-than", "P1D", "--bogus")

    assert (bad_value.returncode, bad_value.stdout) == (1, "")
    assert bad_value.stderr.splitlines() == [
        "CommandError: error_category: 'DISK' is not valid: must be one of SYSTEM, ALGORITHM, "
        "DATA."
    ]
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.splitlines() == [
        "CommandError: unrecognized arguments: --bogus (see --help)"
    ]


@pytest.mark.parametrize("command", ["cancel_jobs", "purge_jobs", "job_stats"])
def test_every_command_has_help(command):
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(command, "--help", stdout=out)
    assert exited.value.code == 0


# purge_jobs --------------------------------------------------------------------------


@pytest.fixture
def purge_world():
    """Old finished jobs with everything that hangs off them, and jobs that must stay."""
    long_ago = timezone.now() - timedelta(days=40)
    recently = timezone.now() - timedelta(days=5)
    job_type = factories.JobTypeFactory()

    def job(status, when):
        return set_times(factories.JobFactory(job_type=job_type, status=status), last_modified=when)

    world = {
        "old_failed": job("FAILED", long_ago),
        "old_completed": job("COMPLETED", long_ago),
        "old_canceled": job("CANCELED", long_ago),
        "old_queued": job("QUEUED", long_ago),
        "old_running": job("RUNNING", long_ago),
        "old_blocked": job("BLOCKED", long_ago),
        "recent_completed": job("COMPLETED", recently),
    }
    done = world["old_completed"]
    exes = [
        factories.JobExecutionFactory(job=done, status="FAILED"),
        factories.JobExecutionFactory(job=done, status="COMPLETED"),
        factories.JobExecutionFactory(job=world["old_failed"], status="FAILED"),
        factories.JobExecutionFactory(job=world["old_running"], status="RUNNING"),
    ]
    world["source"] = factories.ScaleFileFactory()
    factories.JobInputFileFactory(job=done, input_file=world["source"])
    factories.JobInputFileFactory(job=world["old_queued"], input_file=world["source"])
    world["product"] = factories.ScaleFileFactory(job_type=job_type, job=done, job_exe=exes[1])
    world["recipe"] = factories.RecipeJobFactory(job=done).recipe
    factories.RecipeJobFactory(recipe=world["recipe"], job=world["recent_completed"])
    world["kept_exe"] = exes[3]
    return world


def test_purge_jobs_deletes_old_finished_jobs_with_their_links_and_keeps_files(purge_world):
    w = purge_world
    out = run("purge_jobs", "--older-than", "P30D")

    assert out.startswith(
        "Purged 3 jobs, 3 executions, 1 input-file links, 1 recipe links; "
        "1 product files kept and detached from their jobs "
        "(FAILED/COMPLETED/CANCELED jobs last modified before "
    )
    assert set(Job.objects.values_list("id", flat=True)) == {
        w["old_queued"].id, w["old_running"].id, w["old_blocked"].id, w["recent_completed"].id
    }
    assert list(JobExecution.objects.values_list("id", flat=True)) == [w["kept_exe"].id]
    assert list(JobInputFile.objects.values_list("job_id", flat=True)) == [w["old_queued"].id]
    assert list(RecipeJob.objects.values_list("job_id", flat=True)) == [w["recent_completed"].id]
    assert Recipe.objects.filter(pk=w["recipe"].pk).exists()
    product = ScaleFile.objects.get(pk=w["product"].pk)
    assert (product.job_id, product.job_exe_id, product.job_type_id) == (
        None, None, w["old_completed"].job_type_id
    )
    assert product.last_modified > w["product"].last_modified
    assert ScaleFile.objects.filter(pk=w["source"].pk).exists()


def test_purge_jobs_status_narrows_to_a_subset_of_finished_statuses(purge_world):
    out = run("purge_jobs", "--older-than", "P30D", "--status", "CANCELED", "--status", "FAILED")

    assert out.startswith("Purged 2 jobs, 1 executions, 0 input-file links, 0 recipe links; ")
    assert "(CANCELED/FAILED jobs last modified before " in out
    assert not Job.objects.filter(
        pk__in=[purge_world["old_failed"].pk, purge_world["old_canceled"].pk]
    ).exists()
    assert Job.objects.filter(pk=purge_world["old_completed"].pk).exists()


def test_purge_jobs_works_in_bounded_batches(purge_world):
    out = run("purge_jobs", "--older-than", "P30D", "--batch-size", "1")
    assert out.startswith("Purged 3 jobs, 3 executions, 1 input-file links, 1 recipe links; ")
    assert Job.objects.count() == 4


def test_purge_jobs_dry_run_counts_and_changes_nothing(purge_world):
    before = (Job.objects.count(), JobExecution.objects.count(), ScaleFile.objects.count())

    out = run("purge_jobs", "--older-than", "P30D", "--dry-run")

    assert out.startswith(
        "Dry run: would purge 3 jobs, 3 executions, 1 input-file links, 1 recipe links; "
        "1 product files kept and detached from their jobs (FAILED/COMPLETED/CANCELED jobs "
    )
    assert out.endswith("). Nothing was changed.\n")
    after = (Job.objects.count(), JobExecution.objects.count(), ScaleFile.objects.count())
    assert after == before
    assert ScaleFile.objects.get(pk=purge_world["product"].pk).job_id is not None


def test_purge_jobs_with_nothing_old_enough_purges_nothing(purge_world):
    out = run("purge_jobs", "--older-than", "P1Y")
    assert out.startswith("Purged 0 jobs, 0 executions, 0 input-file links, 0 recipe links; ")
    assert Job.objects.count() == 7


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "--older-than is required: an ISO-8601 duration such as P30D"),
        (
            ["--older-than", "30"],
            "--older-than '30' is not an ISO-8601 duration (such as P30D or PT12H)",
        ),
        (["--older-than=-P1D"], "--older-than '-P1D' is negative"),
        (
            ["--older-than", "P1D", "--status", "RUNNING"],
            "--status 'RUNNING' is not a finished status; purge_jobs deletes only FAILED, "
            "COMPLETED, CANCELED jobs",
        ),
        (
            ["--older-than", "P1D", "--batch-size", "10001"],
            "--batch-size must be from 1 to 10000, not 10001",
        ),
        (["--older-than", "P99999Y"], "--older-than 'P99999Y' is too long"),
    ],
)
def test_purge_jobs_bad_arguments_fail_with_one_line(purge_world, options, message):
    with pytest.raises(CommandError) as failed:
        run("purge_jobs", *options)
    assert str(failed.value) == message
    assert Job.objects.count() == 7


# job_stats ---------------------------------------------------------------------------

WINDOW = ("--started", "2015-08-28T00:00:00Z", "--ended", "2015-08-29T00:00:00Z")
IN_WINDOW = datetime(2015, 8, 28, 12, tzinfo=UTC)


@pytest.fixture
def stats_world():
    ingest = factories.JobTypeFactory(name="ingest", version="1.0")
    parse = factories.JobTypeFactory(name="parse", version="2.0")
    system = factories.ErrorFactory(category="SYSTEM")
    data = factories.ErrorFactory(category="DATA")
    queued_at = timezone.now() - timedelta(days=3)
    oldest = factories.JobFactory(job_type=parse, status="QUEUED", queued=queued_at)
    factories.JobFactory(job_type=ingest, status="QUEUED", queued=queued_at + timedelta(hours=1))
    factories.JobFactory(job_type=ingest, status="RUNNING")
    factories.JobFactory(job_type=ingest, status="COMPLETED")
    failures = [
        factories.JobFactory(job_type=ingest, status="FAILED", error=system),
        factories.JobFactory(job_type=ingest, status="FAILED", error=system),
        factories.JobFactory(job_type=parse, status="FAILED", error=data),
        factories.JobFactory(job_type=parse, status="FAILED", error=None),
        factories.JobFactory(job_type=parse, status="FAILED", error=data),  # outside the window
    ]
    for job in failures[:4]:
        set_times(job, last_modified=IN_WINDOW)
    set_times(failures[4], last_modified=IN_WINDOW - timedelta(days=2))
    return {"ingest": ingest, "parse": parse, "oldest": oldest}


def test_job_stats_json_counts_by_status_job_type_oldest_queued_and_failure_category(
    stats_world,
):
    stats = json.loads(run("job_stats", "--json", *WINDOW))
    zero = dict.fromkeys(
        ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"], 0
    )

    assert stats["total"] == 9
    assert stats["by_status"] == {**zero, "QUEUED": 2, "RUNNING": 1, "FAILED": 5, "COMPLETED": 1}
    assert stats["by_job_type"] == [
        {
            "id": stats_world["ingest"].id,
            "name": "ingest",
            "version": "1.0",
            "total": 5,
            "by_status": {**zero, "QUEUED": 1, "RUNNING": 1, "FAILED": 2, "COMPLETED": 1},
        },
        {
            "id": stats_world["parse"].id,
            "name": "parse",
            "version": "2.0",
            "total": 4,
            "by_status": {**zero, "QUEUED": 1, "FAILED": 3},
        },
    ]
    oldest = stats["oldest_queued"]
    assert (oldest["id"], oldest["job_type"]) == (
        stats_world["oldest"].id,
        {"name": "parse", "version": "2.0"},
    )
    assert 3 * 86400 <= oldest["waiting_seconds"] < 3 * 86400 + 60
    assert stats["failures"] == {
        "started": "2015-08-28T00:00:00.000Z",
        "ended": "2015-08-29T00:00:00.000Z",
        "total": 4,
        "by_error_category": {"SYSTEM": 2, "ALGORITHM": 0, "DATA": 1, "NONE": 1},
    }


def test_job_stats_table_is_aligned(stats_world):
    out = run("job_stats", *WINDOW)
    queued = stats_world["oldest"].queued.astimezone(UTC)
    queued_text = queued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{queued.microsecond // 1000:03d}Z"

    assert out == (
        "Jobs by status\n"
        "  status     jobs\n"
        "  PENDING       0\n"
        "  BLOCKED       0\n"
        "  QUEUED        2\n"
        "  RUNNING       1\n"
        "  FAILED        5\n"
        "  COMPLETED     1\n"
        "  CANCELED      0\n"
        "  total         9\n"
        "\n"
        "Jobs by job type\n"
        "  job type  version  PENDING  BLOCKED  QUEUED  RUNNING  FAILED  COMPLETED  CANCELED"
        "  total\n"
        "  ingest    1.0            0        0       1        1       2          1         0"
        "      5\n"
        "  parse     2.0            0        0       1        0       3          0         0"
        "      4\n"
        "\n"
        "Oldest queued job\n"
        f"  job {stats_world['oldest'].id} (parse 2.0), queued {queued_text}, waiting 3d 0h 0m\n"
        "\n"
        "Failed jobs by error category, last modified 2015-08-28T00:00:00.000Z to "
        "2015-08-29T00:00:00.000Z\n"
        "  error category  jobs\n"
        "  SYSTEM             2\n"
        "  ALGORITHM          0\n"
        "  DATA               1\n"
        "  NONE               1\n"
        "  total              4\n"
    )


def test_job_stats_window_defaults_to_the_last_24_hours():
    recent = factories.JobFactory(status="FAILED")
    set_times(recent, last_modified=timezone.now() - timedelta(hours=2))
    stale = factories.JobFactory(status="FAILED")
    set_times(stale, last_modified=timezone.now() - timedelta(hours=30))

    stats = json.loads(run("job_stats", "--json"))

    assert stats["failures"]["total"] == 1
    started = datetime.fromisoformat(stats["failures"]["started"])
    ended = datetime.fromisoformat(stats["failures"]["ended"])
    assert ended - started == timedelta(hours=24)


def test_job_stats_with_no_jobs_says_so():
    out = run("job_stats")
    assert "Jobs by job type\n  (no jobs)\n" in out
    assert "Oldest queued job\n  (no queued jobs)\n" in out


def test_job_stats_uses_four_aggregate_queries_whatever_the_number_of_jobs(
    stats_world, django_assert_num_queries
):
    factories.JobFactory.create_batch(10, job_type=stats_world["ingest"], status="PENDING")
    with django_assert_num_queries(4):
        run("job_stats", "--json")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--started", "2016-01-01T00:00:00Z", "--ended", "2015-01-01T00:00:00Z"],
            "started: must not be after ended.",
        ),
        (["--json", "--bogus"], "Error: unrecognized arguments: --bogus"),
    ],
)
def test_job_stats_bad_arguments_fail_with_one_line(options, message):
    with pytest.raises(CommandError) as failed:
        run("job_stats", *options)
    assert str(failed.value) == message


def test_job_stats_bad_window_value_is_the_apis_message(api_client):
    api = api_client.get("/jobs/", {"ended": "noon"})
    with pytest.raises(CommandError) as failed:
        run("job_stats", "--ended", "noon")
    assert str(failed.value) == api.content.decode().strip()


def test_cancel_jobs_takes_every_filter_of_the_jobs_filterset():
    from job.filters import JobListFilterSet
    from job.management.commands.cancel_jobs import Command

    usage = Command().create_parser("manage.py", "cancel_jobs").format_help()
    options = {name for name in JobListFilterSet.base_filters if name != "order"}
    assert options == {"started", "ended", "status", "job_type_id", "job_type_name",
                       "job_type_category", "error_category", "job_id"}
    for name in options:
        assert "--" + name.replace("_", "-") in usage
