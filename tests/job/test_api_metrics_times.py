"""The time columns of ``/metrics/job-types/plot-data/`` (metrics.rst): the times of the
executions that completed each day, by job type, from ``job_exe_day_time``."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from job.services import job_exe_day_time_fold, job_exe_day_time_rebuild, job_exe_day_times
from job_exe.models import EXECUTION_MEASURES, JobExecution, JobExecutionDayTime
from tests import factories
from tests.api_checks import statement_count

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
AGGREGATES = ("sum", "min", "max", "avg")
TIME_COLUMNS = [f"{m}_time_{a}" for m in EXECUTION_MEASURES for a in AGGREGATES]


def _execution(job_type, *, ended, queue=10.0, pre=None, job=None, post=None, run=100.0,
               status="COMPLETED"):
    """An execution of ``job_type`` that ended at ``ended`` after running ``run`` seconds
    (queued ``queue`` seconds before), its tasks lasting ``pre``, ``job`` and ``post``
    seconds one after the other from its start (None: that task never ran)."""
    started = ended - timedelta(seconds=run)
    phases, moment = {}, started
    for name, seconds in (("pre", pre), ("job", job), ("post", post)):
        if seconds is not None:
            phases[f"{name}_started"] = moment
            moment += timedelta(seconds=seconds)
            phases[f"{name}_completed"] = moment
    return factories.JobExecutionFactory(
        job=factories.JobFactory(job_type=job_type), status=status,
        queued=started - timedelta(seconds=queue), started=started, ended=ended, **phases,
    )


@pytest.fixture
def types():
    return factories.JobTypeFactory(name="a-type"), factories.JobTypeFactory(name="b-type")


def _plot(client, **params):
    response = client.get("/metrics/job-types/plot-data/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return {row["column"]["name"]: row for row in response.json()["results"]}


def _values(row):
    return [tuple(value.values()) for value in row["values"]]


def test_the_time_columns_are_listed_as_scale_declared_them(api_client):
    (row,) = api_client.get("/metrics/").json()["results"]
    columns = {column["name"]: column for column in row["columns"]}
    # metrics.rst's example, exactly.
    assert columns["run_time_min"] == {
        "name": "run_time_min", "title": "Run Time (Min)",
        "description": "Minimum time spent running the pre, job, and post tasks.",
        "units": "seconds", "group": "run_time", "aggregate": "min",
    }
    assert [name for name in columns if columns[name]["units"] == "seconds"] == TIME_COLUMNS
    assert [columns[f"queue_time_{a}"]["aggregate"] for a in AGGREGATES] == list(AGGREGATES)
    assert columns["stage_time_max"]["description"] == (
        "Maximum overhead time spent managing tasks."
    )
    assert columns["job_time_avg"]["title"] == "Job Task Time (Avg)"
    groups = {group["name"]: group for group in row["groups"]}
    assert groups["pre_time"] == {"name": "pre_time", "title": "Pre-task Time",
                                  "description": "When jobs were being prepared."}
    assert api_client.get("/metrics/job-types/").json()["columns"] == row["columns"]


def test_each_time_of_an_execution_is_measured_from_its_timestamps(api_client, types):
    a, _ = types
    # Queued 30 s; a run of 80 s: pre 5, job 60, post 3, and 12 s of staging between.
    _execution(a, ended=DAY1, queue=30, pre=5, job=60, post=3, run=80)
    plots = _plot(api_client, group=[f"{m}_time" for m in EXECUTION_MEASURES])
    assert list(plots) == TIME_COLUMNS
    figures = {name: _values(plot) for name, plot in plots.items()}
    for measure, seconds in {"queue": 30, "pre": 5, "job": 60, "post": 3, "run": 80,
                             "stage": 12}.items():
        for aggregate in AGGREGATES:
            assert figures[f"{measure}_time_{aggregate}"] == [("2026-11-20", seconds)]
    run = plots["run_time_sum"]
    assert (run["min_x"], run["max_x"], run["min_y"], run["max_y"]) == (
        "2026-11-20", "2026-11-20", 80, 80
    )


def test_aggregates_over_a_day_and_a_time_not_measured_is_not_averaged(api_client, types):
    a, b = types
    _execution(a, ended=DAY1, run=100, pre=4, job=90)
    _execution(a, ended=DAY1 + timedelta(hours=13), run=300, job=200)  # 23:00: still day 1
    _execution(b, ended=DAY1, run=50)
    _execution(a, ended=DAY2, run=20, pre=2)
    _execution(a, ended=DAY1, run=9999, status="FAILED")  # not completed: not measured
    factories.JobExecutionFactory(job=factories.JobFactory(job_type=a), status="RUNNING")

    plots = _plot(api_client, group=["run_time", "pre_time", "stage_time"])

    assert _values(plots["run_time_sum"]) == [("2026-11-20", 450), ("2026-11-21", 20)]
    assert _values(plots["run_time_min"]) == [("2026-11-20", 50), ("2026-11-21", 20)]
    assert _values(plots["run_time_max"]) == [("2026-11-20", 300), ("2026-11-21", 20)]
    assert _values(plots["run_time_avg"]) == [("2026-11-20", 150), ("2026-11-21", 20)]
    # Only one execution of day 1 had a pre-task: its mean is that one's.
    assert _values(plots["pre_time_avg"]) == [("2026-11-20", 4), ("2026-11-21", 2)]
    # Stage: 100 - 94, 300 - 200, 50 - 0; 20 - 2.
    assert _values(plots["stage_time_sum"]) == [("2026-11-20", 156), ("2026-11-21", 18)]
    assert _values(plots["stage_time_min"]) == [("2026-11-20", 6), ("2026-11-21", 18)]


def test_choices_give_values_by_job_type_or_of_one(api_client, types):
    a, b = types
    _execution(a, ended=DAY1, run=100)
    _execution(a, ended=DAY1, run=300)
    _execution(b, ended=DAY1, run=50)
    _execution(b, ended=DAY2, run=70)

    each = _plot(api_client, choice_id=[a.pk, b.pk], column=["run_time_max", "run_time_avg"])
    assert list(each) == ["run_time_max", "run_time_avg"]
    assert all(list(value) == ["id", "date", "value"] for value in each["run_time_max"]["values"])
    assert _values(each["run_time_max"]) == [
        (a.pk, "2026-11-20", 300), (b.pk, "2026-11-20", 50), (b.pk, "2026-11-21", 70)
    ]
    assert _values(each["run_time_avg"]) == [
        (a.pk, "2026-11-20", 200), (b.pk, "2026-11-20", 50), (b.pk, "2026-11-21", 70)
    ]
    one = _plot(api_client, choice_id=b.pk, column="run_time_sum")
    assert _values(one["run_time_sum"]) == [("2026-11-20", 50), ("2026-11-21", 70)]


def test_values_are_whole_seconds_rounded_and_never_negative(api_client, types):
    a, _ = types
    _execution(a, ended=DAY1, run=1.2, queue=0.4)
    _execution(a, ended=DAY1, run=2.0, queue=-5)  # queued after it started: 0, not -5
    plots = _plot(api_client, group=["run_time", "queue_time"])
    assert _values(plots["run_time_sum"]) == [("2026-11-20", 3)]  # 3.2
    assert _values(plots["run_time_avg"]) == [("2026-11-20", 2)]  # 1.6
    assert _values(plots["run_time_min"]) == [("2026-11-20", 1)]  # 1.2
    assert _values(plots["queue_time_min"]) == [("2026-11-20", 0)]
    assert _values(plots["queue_time_sum"]) == [("2026-11-20", 0)]  # 0.4


def test_the_window_selects_the_days_the_executions_ended(api_client, types):
    a, _ = types
    _execution(a, ended=DAY1, run=100)
    _execution(a, ended=DAY2, run=20)
    plots = _plot(api_client, column="run_time_sum", started="2026-11-21T05:00:00Z")
    assert _values(plots["run_time_sum"]) == [("2026-11-21", 20)]
    plots = _plot(api_client, column="run_time_sum", ended="2026-11-20T23:59:59Z")
    assert _values(plots["run_time_sum"]) == [("2026-11-20", 100)]


def test_taking_executions_away_leaves_exact_extremes(api_client, types):
    a, b = types
    slowest = _execution(a, ended=DAY1, run=300)
    _execution(a, ended=DAY1, run=100)
    moved = _execution(a, ended=DAY1, run=10)
    other = _execution(b, ended=DAY1, run=5)
    JobExecution.objects.filter(pk=slowest.pk).delete()
    # Ended a day later, and longer: it leaves day 1 and joins day 2.
    JobExecution.objects.filter(pk=moved.pk).update(ended=DAY2, started=DAY2 - timedelta(hours=1))
    JobExecution.objects.filter(pk=other.pk).update(status="FAILED")

    plots = _plot(api_client, group="run_time")

    assert _values(plots["run_time_max"]) == [("2026-11-20", 100), ("2026-11-21", 3600)]
    assert _values(plots["run_time_min"]) == [("2026-11-20", 100), ("2026-11-21", 3600)]
    assert _values(plots["run_time_sum"]) == [("2026-11-20", 100), ("2026-11-21", 3600)]
    each = _plot(api_client, group="run_time", choice_id=[a.pk, b.pk])
    # Job type b's only execution failed after all: no value left for it.
    assert _values(each["run_time_max"]) == [(a.pk, "2026-11-20", 100),
                                             (a.pk, "2026-11-21", 3600)]


def test_writes_that_change_no_time_append_nothing(types):
    a, _ = types
    execution = _execution(a, ended=DAY1, run=100)
    rows = JobExecutionDayTime.objects.count()
    JobExecution.objects.filter(pk=execution.pk).update(stdout="more", command_arguments="x")
    running = factories.JobExecutionFactory(job=factories.JobFactory(job_type=a))
    JobExecution.objects.filter(pk=running.pk).update(lease_expires=DAY2)  # a lease renewal
    assert JobExecutionDayTime.objects.count() == rows


def _recount(executions):
    """The day times of ``executions`` recounted in Python, per (day, job type)."""
    figures = {}
    for e in executions:
        if e.status != "COMPLETED" or e.ended is None:
            continue

        def seconds(start, end):
            return None if start is None or end is None else max((end - start).total_seconds(), 0)

        run = seconds(e.started, e.ended)
        times = {"queue": seconds(e.queued, e.started),
                 "pre": seconds(e.pre_started, e.pre_completed),
                 "job": seconds(e.job_started, e.job_completed),
                 "post": seconds(e.post_started, e.post_completed), "run": run}
        tasks = sum(times[name] or 0 for name in ("pre", "job", "post"))
        times["stage"] = None if run is None else max(run - tasks, 0)
        key = (e.ended.astimezone(UTC).date(), e.job.job_type_id)
        for measure, value in times.items():
            if value is not None:
                figures.setdefault(key, {}).setdefault(measure, []).append(value)
    return figures


def test_plot_data_over_demo_data_equals_a_recount_of_the_executions(api_client):
    call_command("generate_demo_data", jobs=200, seed=5, stdout=StringIO(), stderr=StringIO())
    recount = _recount(JobExecution.objects.select_related("job"))
    job_types = sorted({job_type for _, job_type in recount})
    assert len(job_types) >= 2 and len(recount) >= 10
    plots = _plot(api_client, choice_id=job_types, page_size=100)
    assert list(plots) != [] and set(TIME_COLUMNS) <= set(plots)
    for measure in EXECUTION_MEASURES:
        expected = {aggregate: [] for aggregate in AGGREGATES}
        for (day, job_type), times in sorted(recount.items()):
            values = times.get(measure)
            if not values:
                continue
            for aggregate, figure in (("sum", sum(values)), ("min", min(values)),
                                      ("max", max(values)),
                                      ("avg", sum(values) / len(values))):
                expected[aggregate].append((job_type, day.isoformat(), round(figure)))
        for aggregate in AGGREGATES:
            got = _values(plots[f"{measure}_time_{aggregate}"])
            assert sorted(got, key=lambda v: (v[1], v[0])) == sorted(
                expected[aggregate], key=lambda v: (v[1], v[0])
            ), (measure, aggregate)
    assert any(_values(plots[f"{m}_time_sum"]) for m in ("pre", "job", "post"))


def test_fold_sums_each_days_rows_into_one_and_changes_no_value(api_client, types):
    a, b = types
    for run in (100, 300, 50):
        _execution(a, ended=DAY1, run=run)
    _execution(b, ended=DAY2, run=20)
    JobExecution.objects.filter(pk=_execution(b, ended=DAY2, run=500).pk).delete()  # stale
    gone = _execution(a, ended=DAY2, run=40)
    JobExecution.objects.filter(pk=gone.pk).delete()  # day 2 of a: nothing left
    before = _plot(api_client, choice_id=[a.pk, b.pk])
    assert JobExecutionDayTime.objects.count() == 8
    assert JobExecutionDayTime.objects.filter(stale=True).count() == 2

    assert job_exe_day_time_fold() == 6

    assert _plot(api_client, choice_id=[a.pk, b.pk]) == before
    kept = JobExecutionDayTime.objects.order_by("occurred", "job_type_id")
    # The stale day got its extremes from its executions: no longer stale.
    assert [(r.occurred.isoformat(), r.job_type_id, r.count, r.run_sum, r.run_min, r.run_max,
             r.stage_max, r.stale)
            for r in kept] == [("2026-11-20", a.pk, 3, 450.0, 50.0, 300.0, 300.0, False),
                               ("2026-11-21", b.pk, 1, 20.0, 20.0, 20.0, 20.0, False)]
    assert job_exe_day_time_fold() == 0
    actual = job_exe_day_times(JobExecution.objects.all())
    for row in kept:
        figures = actual[(row.occurred, row.job_type_id)]
        assert {name: getattr(row, name) for name in figures} == figures


@pytest.mark.django_db(transaction=True)
def test_recount_rebuilds_the_day_times_after_their_triggers_were_bypassed(types):
    a, _ = types
    _execution(a, ended=DAY1, run=100)
    stale = _execution(a, ended=DAY1, run=500)
    JobExecution.objects.filter(pk=stale.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE job_exe DISABLE TRIGGER job_exe_day_time_insert")
    try:
        _execution(a, ended=DAY2, run=30, pre=10)  # not appended
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE job_exe ENABLE ALWAYS TRIGGER job_exe_day_time_insert")

    result = job_exe_day_time_rebuild()

    # Day 1 was stale (its extremes were not the table's), day 2 missing.
    assert (result.counters, result.rows, result.corrected) == (2, 2, 2)
    assert job_exe_day_time_rebuild().corrected == 0
    kept = JobExecutionDayTime.objects.order_by("occurred")
    assert [(r.occurred.isoformat(), r.count, r.run_sum, r.run_max, r.pre_count, r.stale)
            for r in kept] == [("2026-11-20", 1, 100.0, 100.0, 0, False),
                               ("2026-11-21", 1, 30.0, 30.0, 1, False)]
    actual = job_exe_day_times(JobExecution.objects.all())
    for row in kept:
        figures = actual[(row.occurred, row.job_type_id)]
        assert {name: getattr(row, name) for name in figures} == figures
    out = StringIO()
    call_command("recount_jobs", stdout=out)
    assert "job_exe_day_time rebuilt: 2 counters summing 2; 0 were wrong." in (
        out.getvalue()
    )


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client, types):
    a, b = types
    _execution(a, ended=DAY1, run=100)
    plot = "/metrics/job-types/plot-data/"
    one = statement_count(api_client, plot, group="run_time")
    for n in range(10):
        _execution(b, ended=DAY1 + timedelta(days=n), run=10 + n)
    # BEGIN, SET TRANSACTION, the time columns' sums and extremes by day, COMMIT.
    assert one == statement_count(api_client, plot, group="run_time") == 4
    assert statement_count(api_client, plot, group="run_time", choice_id=[a.pk, b.pk]) == 4
    # Executions taken away from days that keep others: one more statement, those days'
    # extremes read from the executions (a day left with none needs none).
    for day in (DAY2, DAY2 + timedelta(days=3)):
        _execution(b, ended=day, run=1000).delete()
    JobExecution.objects.filter(job__job_type=b, ended__gte=DAY2 + timedelta(days=6)).delete()
    assert statement_count(api_client, plot, group="run_time") == 5
    assert statement_count(api_client, plot, group="run_time", choice_id=[a.pk, b.pk]) == 5
    assert statement_count(api_client, plot, group="errors") == 4  # counts only


@pytest.mark.parametrize("per_job_type", [False, True])
def test_time_plot_data_is_what_plain_drf_renders(api_client, types, per_job_type):
    from job import metrics, selectors
    from job.models import JobDayCount
    from job.serializers import MetricsPlotSerializer

    a, b = types
    _execution(a, ended=DAY1, run=100.4, pre=3, job=90)
    _execution(b, ended=DAY2, run=7)
    JobExecution.objects.filter(pk=_execution(a, ended=DAY1, run=5).pk).delete()  # stale
    choices = [a.pk, b.pk] if per_job_type else []
    body = api_client.get("/metrics/job-types/plot-data/", {"choice_id": choices}).json()
    plots = selectors.metrics_plot_data(
        JobDayCount.objects.all(), JobExecutionDayTime.objects.all(),
        columns=list(metrics.JOB_TYPES.columns), per_job_type=per_job_type,
    )
    assert body["results"] == MetricsPlotSerializer(plots, many=True).data
    assert all(isinstance(v["value"], int) for r in body["results"] for v in r["values"])
    assert body["results"][-6]["column"]["name"] == "run_time_max"
    assert [v["value"] for v in body["results"][-6]["values"]] == [100, 7]
