"""``manage.py generate_demo_data``: coherent rows across every model, deterministic for a
seed and a fixed ``--now``, appended safely to a database that already holds data."""

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

import job.demo_data as demo_data
from error.models import Error
from job.demo_data.ahead import RowsAhead
from job.demo_data.catalogue import ensure_catalogue
from job.demo_data.rows import RowGenerator
from job.models import Job, JobInputFile, JobType, JobTypeRevision
from job.services import counter_rebuilds
from job_exe.models import JobExecution, Node
from recipe.models import Recipe, RecipeJob, RecipeType
from storage.models import ScaleFile, Workspace
from tests import factories
from trigger.models import TriggerEvent, TriggerRule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NOW_ARG = "2026-11-29T12:00:00Z"
ALL_STATUSES = {status.value for status in Job.Status}
PROJECT_TABLES = (
    "error",
    "trigger_rule",
    "trigger_event",
    "workspace",
    "scale_file",
    "job_type",
    "job_type_revision",
    "job",
    "job_input_file",
    "node",
    "job_exe",
    "recipe_type",
    "recipe",
    "recipe_job",
)


def generate(jobs: int = 300, **options) -> str:
    out = StringIO()
    options.setdefault("now", NOW_ARG)
    call_command("generate_demo_data", jobs=jobs, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return generate(300)


def file_ids_of(entry: dict) -> list[int]:
    return [entry["file_id"]] if "file_id" in entry else list(entry.get("file_ids", []))


def test_every_status_is_generated_and_most_jobs_completed(demo):
    counts = Counter(Job.objects.values_list("status", flat=True))
    assert set(counts) == ALL_STATUSES
    assert sum(counts.values()) == 300
    assert counts.most_common(1)[0][0] == Job.Status.COMPLETED
    assert counts[Job.Status.COMPLETED] > 150


def test_even_seven_jobs_show_every_status():
    generate(7)
    assert set(Job.objects.values_list("status", flat=True)) == ALL_STATUSES


def test_summary_reports_the_counts_written(demo):
    by_status = ", ".join(
        f"{status} {Job.objects.filter(status=status).count():,}" for status in Job.Status.values
    )
    products = ScaleFile.objects.filter(job__isnull=False).count()
    # The shared training sets are reference rows, not part of the bulk load.
    shared = ScaleFile.objects.filter(file_path__startswith="training/").count()
    assert shared == 8
    sources = ScaleFile.objects.filter(job__isnull=True).count() - shared
    assert demo.splitlines()[0].startswith("Generated 300 jobs in 0 min ")
    assert re.fullmatch(
        r"  into empty tables: \d+ secondary indexes built after the rows, in \d+ s",
        demo.splitlines()[-1],
    )
    assert demo.splitlines()[1:-1] == [
        f"  jobs by status: {by_status}",
        f"  executions: {JobExecution.objects.count():,}",
        f"  files: {products + sources:,} ({sources:,} source, {products:,} products), "
        f"job input files: {JobInputFile.objects.count():,}",
        f"  trigger events: {TriggerEvent.objects.count():,}, recipes: "
        f"{Recipe.objects.count():,}, recipe jobs: {RecipeJob.objects.count():,}",
    ]


def test_reference_rows_have_the_documented_shape(demo):
    assert JobType.objects.count() == 12
    assert set(JobType.objects.values_list("category", flat=True)) == {
        "system",
        "ingest",
        "footprint",
        "classification",
        "export",
    }
    versions = Counter(JobType.objects.values_list("name", flat=True))
    assert sorted(name for name, count in versions.items() if count == 2) == [
        "footprint-sar",
        "landcover-classifier",
        "parse-sentinel1",
    ]
    assert Error.objects.count() == 10
    assert set(Error.objects.values_list("category", flat=True)) == {"SYSTEM", "ALGORITHM", "DATA"}
    assert Node.objects.count() == 20
    assert RecipeType.objects.count() == 3
    assert dict(Workspace.objects.values_list("name", "base_url")) == {
        "raw": "http://files.example.com/raw",
        "products": "http://files.example.com/products",
    }


def test_job_types_point_at_their_latest_revision(demo):
    for job_type in JobType.objects.all():
        revisions = list(JobTypeRevision.objects.filter(job_type=job_type).order_by("revision_num"))
        assert 1 <= len(revisions) <= 3
        assert [r.revision_num for r in revisions] == list(range(1, len(revisions) + 1))
        assert job_type.revision_num == revisions[-1].revision_num
        assert job_type.interface == revisions[-1].interface


def test_interfaces_cover_every_input_and_output_type(demo):
    input_types, output_types = set(), set()
    for interface in JobTypeRevision.objects.values_list("interface", flat=True):
        assert interface["version"] == "1.0"
        assert set(interface) == {
            "version",
            "command",
            "command_arguments",
            "input_data",
            "output_data",
        }
        input_types |= {item["type"] for item in interface["input_data"]}
        output_types |= {item["type"] for item in interface["output_data"]}
        assert all(item["media_type"] for item in interface["output_data"])
    assert input_types == {"property", "file", "files"}
    assert output_types == {"file", "files"}


def test_job_data_matches_its_revision_interface(demo):
    products_id = Workspace.objects.get(name="products").pk
    for job in Job.objects.select_related("job_type_rev"):
        assert job.job_type_rev.job_type_id == job.job_type_id
        interface = job.job_type_rev.interface
        declared = {item["name"]: item for item in interface["input_data"]}
        assert job.data["version"] == "1.0"
        for entry in job.data["input_data"]:
            kind = declared[entry["name"]]["type"]
            expected_key = {"property": "value", "file": "file_id", "files": "file_ids"}[kind]
            assert set(entry) == {"name", expected_key}
        given = {entry["name"] for entry in job.data["input_data"]}
        required = {name for name, item in declared.items() if item.get("required", True)}
        assert required <= given
        assert job.data["output_data"] == [
            {"name": item["name"], "workspace_id": products_id} for item in interface["output_data"]
        ]


def test_job_input_files_are_exactly_the_files_in_job_data(demo):
    links = defaultdict(set)
    for job_id, file_id, name in JobInputFile.objects.values_list(
        "job_id", "input_file_id", "job_input"
    ):
        links[job_id].add((name, file_id))
    assert JobInputFile.objects.count() == sum(len(pairs) for pairs in links.values())
    for job in Job.objects.all():
        expected = {
            (entry["name"], file_id)
            for entry in job.data["input_data"]
            for file_id in file_ids_of(entry)
        }
        assert links.get(job.pk, set()) == expected
    raw = Workspace.objects.get(name="raw")
    assert not JobInputFile.objects.exclude(input_file__workspace=raw).exists()


def test_results_reference_products_of_the_job_and_its_last_execution(demo):
    products = {f.pk: f for f in ScaleFile.objects.filter(job__isnull=False)}
    referenced = set()
    for job in Job.objects.exclude(status=Job.Status.COMPLETED):
        assert job.results == {}
    for job in Job.objects.filter(status=Job.Status.COMPLETED).select_related("job_type_rev"):
        last_exe = job.job_exes.order_by("-created", "-id").first()
        outputs = job.job_type_rev.interface["output_data"]
        assert job.results["version"] == "1.0"
        assert [e["name"] for e in job.results["output_data"]] == [o["name"] for o in outputs]
        for entry, output in zip(job.results["output_data"], outputs, strict=True):
            ids = file_ids_of(entry)
            assert len(ids) == 1 if output["type"] == "file" else len(ids) >= 2
            for file_id in ids:
                product = products[file_id]
                assert (product.job_id, product.job_exe_id) == (job.pk, last_exe.pk)
                assert product.job_type_id == job.job_type_id
                assert product.media_type == output["media_type"]
                referenced.add(file_id)
    assert referenced == set(products)


def test_files_are_sources_in_raw_or_products_in_products(demo):
    raw = Workspace.objects.get(name="raw")
    products = Workspace.objects.get(name="products")
    for scale_file in ScaleFile.objects.select_related("job"):
        assert re.fullmatch(r"[0-9a-f]{32}", scale_file.uuid)
        assert scale_file.data_type == "" or re.fullmatch(
            r"[a-z0-9]+(,[a-z0-9]+)*", scale_file.data_type
        )
        assert isinstance(scale_file.meta_data, dict) and scale_file.meta_data
        assert scale_file.created <= scale_file.last_modified <= NOW
        if scale_file.job_id is None:
            assert scale_file.workspace_id == raw.pk
            assert (scale_file.job_type_id, scale_file.job_exe_id) == (None, None)
            assert (scale_file.is_operational, scale_file.is_published) == (None, None)
            assert scale_file.published is None
            assert scale_file.data_started <= scale_file.data_ended <= scale_file.created
        else:
            assert scale_file.workspace_id == products.pk
            assert scale_file.job_exe_id is not None
            assert scale_file.is_operational is not None
            assert (scale_file.published is not None) == scale_file.is_published
            assert scale_file.created <= scale_file.job.ended
    assert ScaleFile.objects.filter(data_type="").exists()
    assert ScaleFile.objects.exclude(data_type="").exists()


def assert_counters_hold_the_rows() -> None:
    """Every counter table (``recount_jobs``'s list) sums to what its rows count: a
    rebuild, rolled back, finds no key to correct."""
    for table, rebuild in counter_rebuilds():
        with transaction.atomic():
            result = rebuild()
            transaction.set_rollback(True)
        assert result.counters and result.corrected == 0, table


def test_the_counters_of_the_lists_hold_the_demo_rows(demo):
    """The loader's COPY (triggers fire under replica) keeps the counter tables equal to
    the rows: what the lists and metrics sum is what they would count."""
    assert_counters_hold_the_rows()


def test_executions_follow_their_job(demo):
    last_exe_status = {
        Job.Status.COMPLETED: "COMPLETED",
        Job.Status.FAILED: "FAILED",
        Job.Status.RUNNING: "RUNNING",
        Job.Status.QUEUED: "QUEUED",
        Job.Status.CANCELED: "CANCELED",
    }
    exes = defaultdict(list)
    for exe in JobExecution.objects.order_by("created", "id"):
        exes[exe.job_id].append(exe)
    for job in Job.objects.all():
        job_exes = exes.get(job.pk, [])
        assert job.num_exes == len(job_exes) <= job.max_tries
        assert 0 <= len(job_exes) <= 4
        if job.status in (Job.Status.PENDING, Job.Status.BLOCKED):
            assert job_exes == []
            continue
        assert job_exes[-1].status == last_exe_status[job.status]
        assert {exe.status for exe in job_exes[:-1]} <= {"FAILED"}
        last = job_exes[-1]
        assert (job.queued, job.started, job.ended) == (last.queued, last.started, last.ended)
        if job.status == Job.Status.FAILED:
            assert job.error_id == last.error_id is not None
    average = JobExecution.objects.count() / Job.objects.count()
    assert 1.6 < average < 2.4


def test_execution_phases_are_ordered_and_failures_name_an_error(demo):
    for exe in JobExecution.objects.all():
        assert exe.created == exe.queued
        times = [
            exe.queued,
            exe.started,
            exe.pre_started,
            exe.pre_completed,
            exe.job_started,
            exe.job_completed,
            exe.post_started,
            exe.post_completed,
            exe.ended,
        ]
        present = [t for t in times if t is not None]
        assert present == sorted(present)
        assert max(present) <= exe.last_modified <= NOW
        # Logs only for what started (the demo's jobs are all among the newest 10,000).
        assert (exe.stdout is None) == (exe.started is None)
        if exe.status == "QUEUED":
            assert (exe.started, exe.ended, exe.node_id) == (None, None, None)
        elif exe.status == "RUNNING":
            assert exe.started is not None and exe.node_id is not None and exe.ended is None
        elif exe.status == "COMPLETED":
            codes = (exe.pre_exit_code, exe.job_exit_code, exe.post_exit_code)
            assert codes == (0, 0, 0)
        elif exe.status == "FAILED":
            assert exe.error_id is not None and exe.ended is not None
            codes = [exe.pre_exit_code, exe.job_exit_code, exe.post_exit_code]
            assert [c for c in codes if c is not None][-1] != 0
        if exe.status != "FAILED":
            assert exe.error_id is None


def test_executions_that_ran_have_logs_of_a_few_kb_and_some_of_several_mb(demo):
    started = JobExecution.objects.filter(started__isnull=False)
    sizes = sorted(len(exe.stdout) for exe in started.only("stdout"))
    assert len(sizes) == started.count() > 100
    assert 1_000 < sizes[len(sizes) // 2] < 10_000
    assert sizes[-1] > 2_000_000
    failed = started.filter(status="FAILED").only("stderr", "stdout").first()
    assert "ERROR " in failed.stderr and "\n" in failed.stdout
    assert failed.stdout.splitlines()[0].endswith(f"on node {failed.node_id}")


def test_executions_that_started_have_their_jobs_requirements_scheduled(demo):
    for exe in JobExecution.objects.select_related("job"):
        scheduled = (exe.cpus_scheduled, exe.mem_scheduled, exe.disk_in_scheduled,
                     exe.disk_out_scheduled)
        if exe.started is None:
            assert scheduled == (None,) * 4 and exe.disk_total_scheduled is None
        else:
            job = exe.job
            assert scheduled == (job.cpus_required, job.mem_required, job.disk_in_required,
                                 job.disk_out_required)
            assert exe.disk_total_scheduled == pytest.approx(
                job.disk_in_required + job.disk_out_required, abs=0.1)


def test_nodes_are_online_but_the_retired_one_and_one_other(demo):
    from job_exe.models import Node

    assert Node.objects.filter(is_online=False).count() == 2
    assert not Node.objects.filter(is_active=False, is_online=True).exists()


def test_workspaces_have_a_configuration_and_their_files_size(demo):
    from django.db.models import Sum

    from storage.models import ScaleFile, Workspace

    for workspace in Workspace.objects.all():
        files = ScaleFile.objects.filter(workspace=workspace, is_deleted=False)
        assert workspace.used_size == files.aggregate(total=Sum("file_size"))["total"] > 0
        assert workspace.json_config["broker"]["type"] == "nfs"


def test_job_timestamps_are_coherent_and_recent(demo):
    for job in Job.objects.all():
        present = [t for t in (job.created, job.queued, job.started, job.ended) if t is not None]
        assert present == sorted(present)
        assert job.created <= job.last_status_change <= job.last_modified <= NOW
        assert job.last_modified >= NOW - timedelta(days=31)
        if job.status in (Job.Status.PENDING, Job.Status.BLOCKED):
            assert (job.queued, job.started, job.ended) == (None, None, None)
        if job.status == Job.Status.QUEUED:
            assert job.queued == job.last_status_change and job.started is None
        if job.status == Job.Status.RUNNING:
            assert job.started == job.last_status_change and job.ended is None
        if job.status in Job.FINISHED_STATUSES:
            assert job.ended == job.last_status_change
        assert job.event.occurred <= job.created
    last_hour = Job.objects.filter(last_modified__gte=NOW - timedelta(hours=1)).count()
    last_day = Job.objects.filter(last_modified__gte=NOW - timedelta(days=1)).count()
    assert 0 < last_hour < last_day < 300
    assert last_day > 60


def test_failed_jobs_name_errors_of_all_three_categories(demo):
    assert not Job.objects.filter(status=Job.Status.FAILED, error__isnull=True).exists()
    assert not Job.objects.exclude(status=Job.Status.FAILED).filter(error__isnull=False).exists()
    categories = set(
        Job.objects.filter(status=Job.Status.FAILED).values_list("error__category", flat=True)
    )
    assert categories == {"SYSTEM", "ALGORITHM", "DATA"}


def test_resources_and_priorities_are_set(demo):
    for job in Job.objects.all():
        assert job.cpus_required >= 1.0 and job.mem_required >= 256.0
        assert job.disk_in_required >= 0.0 and job.disk_out_required >= 64.0
        assert job.priority in {1, 10, 50, 100, 200}


def test_events_and_rules(demo):
    assert TriggerRule.objects.count() == 5
    assert TriggerEvent.objects.filter(rule__isnull=True).exists()
    assert TriggerEvent.objects.filter(rule__isnull=False).exists()
    assert not TriggerEvent.objects.filter(jobs__isnull=True, recipes__isnull=True).exists()


def test_recipes_link_about_a_tenth_of_jobs_in_definition_order(demo):
    linked = RecipeJob.objects.count()
    assert 15 <= linked <= 60
    for recipe in Recipe.objects.select_related("recipe_type"):
        steps = recipe.recipe_type.definition["jobs"]
        links = list(recipe.recipe_jobs.select_related("job__job_type").order_by("id"))
        assert [link.job_name for link in links] == [s["name"] for s in steps][: len(links)]
        for link, step in zip(links, steps, strict=False):
            job_type = link.job.job_type
            assert {"name": job_type.name, "version": job_type.version} == step["job_type"]
            assert link.job.event_id == recipe.event_id
        if all(link.job.status == Job.Status.COMPLETED for link in links):
            assert recipe.completed == max(link.job.ended for link in links)
        else:
            assert recipe.completed is None
    assert Job.objects.filter(status=Job.Status.BLOCKED, recipe_jobs__isnull=False).count() == (
        Job.objects.filter(status=Job.Status.BLOCKED).count()
    )


def _truncate_project_tables() -> None:
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still pending in the test transaction forbid TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(PROJECT_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _fingerprint() -> dict[str, str]:
    with connection.cursor() as cursor:
        fingerprint = {}
        for table in PROJECT_TABLES:
            rows = "coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '')"
            cursor.execute(f"SELECT count(*) || ':' || {rows} FROM {table} t")
            fingerprint[table] = cursor.fetchone()[0]
    return fingerprint


def test_same_seed_and_now_give_identical_rows_whatever_the_batch_size():
    _truncate_project_tables()
    generate(250, seed=5)
    first = _fingerprint()
    assert first["job"].startswith("250:")
    _truncate_project_tables()
    generate(250, seed=5, batch_size=40)
    assert _fingerprint() == first
    _truncate_project_tables()
    generate(250, seed=6)
    assert _fingerprint()["job"] != first["job"]


@pytest.mark.django_db(transaction=True)  # the fold's deletions committed, as in a real run
@pytest.mark.parametrize("appended", [False, True])
def test_the_counter_tables_keep_no_pages_the_fold_emptied(appended):
    """Forty batches each append ledger rows that the fold merges away at the end; the
    tables are then no larger than a copy of their rows."""
    if appended:
        generate(40)
    generate(1000, batch_size=25)
    with connection.cursor() as cursor:
        for table, _rebuild in counter_rebuilds():
            cursor.execute(f"CREATE TEMPORARY TABLE copied AS TABLE {table}")
            cursor.execute("SELECT pg_relation_size(%s), pg_relation_size('copied'), "
                           "(SELECT count(*) FROM copied)", [table])
            size, copied, rows = cursor.fetchone()
            assert rows > 0 and size <= copied, (table, size, copied)
            cursor.execute("DROP TABLE copied")


def test_a_second_run_appends_new_rows_and_reuses_named_rows():
    generate(120)
    max_job_id = Job.objects.aggregate(Max("id"))["id__max"]
    named = (JobType.objects.count(), JobTypeRevision.objects.count(), Error.objects.count())
    generate(80, seed=2)
    assert Job.objects.count() == 200
    assert Job.objects.filter(id__gt=max_job_id).count() == 80
    assert (
        JobType.objects.count(),
        JobTypeRevision.objects.count(),
        Error.objects.count(),
    ) == named
    assert (Node.objects.count(), Workspace.objects.count(), RecipeType.objects.count()) == (
        20,
        2,
        3,
    )
    # The sequences moved past the loaded ids: ORM inserts still work.
    last_demo_job_id = Job.objects.aggregate(Max("id"))["id__max"]
    assert factories.JobFactory().pk > last_demo_job_id


def test_a_job_type_that_already_exists_keeps_its_interface():
    interface = {
        "version": "1.0",
        "command": "/app/kml.sh",
        "command_arguments": "${bundle}",
        "input_data": [{"name": "bundle", "type": "files"}],
        "output_data": [{"name": "doc", "type": "file", "media_type": "text/plain"}],
    }
    job_type = factories.JobTypeFactory(name="kml-export", version="1.0", interface=interface)
    generate(300)
    assert JobTypeRevision.objects.filter(job_type=job_type).count() == 1
    for job in Job.objects.filter(job_type=job_type):
        assert [entry["name"] for entry in job.data["input_data"]] == ["bundle"]
        assert len(job.data["input_data"][0]["file_ids"]) >= 2


def test_if_empty_does_nothing_when_a_job_exists():
    factories.JobFactory()
    output = generate(50, if_empty=True)
    assert output == "The database already holds jobs: no demo data generated.\n"
    assert Job.objects.count() == 1


def test_if_empty_generates_into_an_empty_database():
    output = generate(20, if_empty=True)
    assert output.startswith("Generated 20 jobs")
    assert Job.objects.count() == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs", "0"], "--jobs must be a positive integer, not 0"),
        (["--jobs", "-5"], "--jobs must be a positive integer, not -5"),
        (["--jobs", "many"], "argument --jobs: invalid int value: 'many'"),
        (["--jobs", "10", "--batch-size", "0"], "--batch-size must be a positive integer, not 0"),
        (["--jobs", "10", "--now", "2026-11-29T12:00:00"], "--now needs a timezone"),
        (["--jobs", "10", "--now", "yesterday"], "--now must be an ISO-8601 datetime"),
        ([], "the following arguments are required: --jobs"),
    ],
)
def test_bad_arguments_are_refused_with_one_line(args, message):
    with pytest.raises(CommandError) as raised:
        call_command("generate_demo_data", *args, stdout=StringIO(), stderr=StringIO())
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert not Job.objects.exists()


def test_foreign_key_triggers_still_check_when_they_cannot_be_skipped(monkeypatch):
    monkeypatch.setattr(demo_data, "_may_skip_foreign_key_triggers", lambda: False)
    generate(60)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert Job.objects.count() == 60


def test_the_set_based_check_catches_a_broken_reference():
    catalogue = ensure_catalogue(now=NOW)
    generator = RowGenerator(
        catalogue=catalogue, seed=1, now_ms=int(NOW.timestamp() * 1000), total_jobs=20
    )
    first_ids = demo_data._next_ids(demo_data._sequences())
    batch = generator.batch(first_ids=first_ids, min_jobs=20)
    first, rest = batch.rows["job_exe"].split("\n", 1)
    columns = first.split("\t")
    columns[1] = "999999999"  # job_id
    batch.rows["job_exe"] = "\t".join(columns) + "\n" + rest
    with pytest.raises(IntegrityError, match=r"demo rows reference missing rows: job_exe\.job_id"):
        demo_data._copy(batch, skip_triggers=True, statistics=demo_data.Statistics())


def test_the_tables_are_analyzed_each_time_their_rows_have_doubled():
    generate(60)

    def job_reltuples() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'job'::regclass")
            return cursor.fetchone()[0]

    def set_job_reltuples(value: float) -> None:
        # As if the last analysis had seen ``value`` rows (-1: never analyzed); rolled back
        # with the test's transaction.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE pg_class SET reltuples = %s WHERE oid = 'job'::regclass",
                           [value])

    def written(jobs: int) -> dict[str, int]:
        return {**dict.fromkeys(demo_data.BULK_TABLES, 0), "job": jobs}

    set_job_reltuples(-1)
    statistics = demo_data.Statistics()
    statistics.refresh(written(30))  # 30 rows where none were analyzed: analyzed
    assert job_reltuples() == 60
    set_job_reltuples(7)
    statistics.refresh(written(30))  # 60 rows, twice the 30 last analyzed: not yet
    assert job_reltuples() == 7
    statistics.refresh(written(1))  # 61: more than twice
    assert job_reltuples() == 60


def test_a_batch_generated_ahead_is_redone_when_another_writer_took_its_ids(monkeypatch):
    interloper = []
    restores = []
    restore = RowsAhead.restore  # 120 jobs in batches of 40: generated in a child process
    monkeypatch.setattr(
        RowsAhead, "restore", lambda self, state: restores.append(1) or restore(self, state)
    )

    def write_between_batches(_jobs: int) -> None:
        if not interloper:
            interloper.append(factories.TriggerEventFactory(rule=None))

    summary = demo_data.generate_demo_data(
        jobs=120, seed=3, now=NOW, batch_size=40, progress=write_between_batches
    )
    assert summary.jobs == Job.objects.count() == 120
    assert restores == [1]
    assert TriggerEvent.objects.count() == summary.events + 1
    later_events = TriggerEvent.objects.filter(id__gt=interloper[0].pk)
    assert (
        later_events.count()
        == summary.events - TriggerEvent.objects.filter(id__lt=interloper[0].pk).count()
    )
    for job in Job.objects.all():
        expected = {
            (entry["name"], file_id)
            for entry in job.data["input_data"]
            for file_id in file_ids_of(entry)
        }
        links = set(job.input_file_links.values_list("job_input", "input_file_id"))
        assert links == expected
        assert job.event_id != interloper[0].pk


def _schema() -> dict[str, list[tuple]]:
    """The bulk tables' indexes, constraints and triggers (internal ones too), as the
    catalog defines them."""
    tables = list(demo_data.BULK_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), "
            "conindid::regclass::text, condeferrable, condeferred FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled, tgisinternal FROM pg_trigger "
            "WHERE tgrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FILTER (WHERE NOT (indisvalid AND indisready)) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [tables],
        )
        invalid = cursor.fetchall()
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers,
            "invalid": invalid}


def test_into_empty_tables_the_secondary_indexes_are_built_again_as_they_were():
    before = _schema()
    secondary = [row for row in before["indexes"] if not row[1].endswith("_pkey")]
    assert len(secondary) > 20 and before["triggers"] and before["invalid"] == [(0,)]
    output = generate(200)
    assert re.search(r"into empty tables: \d+ secondary indexes built after the rows", output)
    assert _schema() == before
    assert_counters_hold_the_rows()


def test_appending_keeps_every_index_and_the_counters_exact(monkeypatch):
    generate(120)
    before = _schema()

    def refuse() -> list[str]:
        raise AssertionError("an append dropped indexes")

    monkeypatch.setattr(demo_data, "_drop_secondary_indexes", refuse)
    output = generate(80, seed=2)
    assert "secondary indexes" not in output
    assert Job.objects.count() == 200
    assert _schema() == before
    assert_counters_hold_the_rows()


def test_the_empty_load_writes_the_rows_an_append_would():
    _truncate_project_tables()
    generate(250, seed=5, batch_size=60)
    rebuilt = _fingerprint()
    _truncate_project_tables()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_data, "_no_jobs", lambda: False)
        output = generate(250, seed=5, batch_size=60)
    assert "secondary indexes" not in output
    assert _fingerprint() == rebuilt


def test_an_error_during_the_empty_load_leaves_no_rows_and_every_index():
    before = _schema()
    batches = []

    def fail_after_two_batches(jobs: int) -> None:
        batches.append(jobs)
        if len(batches) == 2:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        demo_data.generate_demo_data(
            jobs=200, seed=1, now=NOW, batch_size=40, progress=fail_after_two_batches
        )
    assert not Job.objects.exists() and not JobExecution.objects.exists()
    assert _schema() == before
    generate(30)
    assert_counters_hold_the_rows()
