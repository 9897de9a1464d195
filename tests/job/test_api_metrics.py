"""``/metrics/``, ``/metrics/{name}/`` and ``/metrics/{name}/plot-data/`` (metrics.rst): the
job types' daily counts of ended jobs, from ``job_day_count`` (the time columns:
test_api_metrics_times.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from job.models import Job, JobDayCount
from job.services import job_cancel
from job_exe.models import JobExecutionDayTime
from tests import factories
from tests.api_checks import statement_count
from tests.ledgers import ledger_sums

pytestmark = pytest.mark.django_db

TYPE_KEYS = ["name", "title", "description", "filters", "groups", "columns"]
COLUMN_KEYS = ["name", "title", "description", "units", "group", "aggregate"]
PLOT_KEYS = ["column", "min_x", "max_x", "min_y", "max_y", "values"]
BRIEF_KEYS = [
    "id", "name", "version", "title", "description", "category", "author_name",
    "author_url", "is_system", "is_long_running", "is_active", "is_operational",
    "is_paused", "icon_code",
]
COLUMNS = ["completed_count", "failed_count", "canceled_count", "total_count",
           "error_system_count", "error_data_count", "error_algorithm_count"]
TIME_GROUPS = ["queue_time", "pre_time", "job_time", "post_time", "run_time", "stage_time"]
TIME_COLUMNS = [f"{group}_{aggregate}" for group in TIME_GROUPS
                for aggregate in ("sum", "min", "max", "avg")]
DAY1 = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY1 + timedelta(days=2)


def _ended(job_type, status, ended, error=None):
    job = factories.JobFactory(job_type=job_type, status=status, error=error)
    Job.objects.filter(pk=job.pk).update(ended=ended, last_status_change=ended)
    return job


@pytest.fixture
def ended_jobs():
    a = factories.JobTypeFactory(name="a-type")
    b = factories.JobTypeFactory(name="b-type")
    system = factories.ErrorFactory(category="SYSTEM")
    data = factories.ErrorFactory(category="DATA")
    algorithm = factories.ErrorFactory(category="ALGORITHM")
    _ended(a, "COMPLETED", DAY1)
    _ended(a, "COMPLETED", DAY1 + timedelta(hours=13))  # 23:00 UTC: still day 1
    _ended(a, "FAILED", DAY1, system)
    _ended(b, "FAILED", DAY1, data)
    _ended(b, "CANCELED", DAY2)
    _ended(a, "FAILED", DAY3, algorithm)
    _ended(a, "FAILED", DAY3, system)
    factories.JobFactory(job_type=a, status="RUNNING")  # not ended: not counted
    factories.JobFactory(job_type=b, status="QUEUED")
    return {"a": a, "b": b}


def _plot(client, **params):
    response = client.get("/metrics/job-types/plot-data/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def _values(result):
    return [tuple(value.values()) for value in result["values"]]


def test_metrics_list_has_the_job_types_metrics(api_client):
    body = api_client.get("/metrics/").json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    (row,) = body["results"]
    assert list(row) == TYPE_KEYS
    assert (row["name"], row["title"]) == ("job-types", "Job Types")
    assert row["filters"] == [{"param": "name", "type": "string"},
                              {"param": "version", "type": "string"}]
    assert [g["name"] for g in row["groups"]] == ["overview", "errors", *TIME_GROUPS]
    assert [c["name"] for c in row["columns"]] == COLUMNS + TIME_COLUMNS
    assert all(list(c) == COLUMN_KEYS for c in row["columns"])
    assert row["columns"][0] == {
        "name": "completed_count", "title": "Completed Count",
        "description": "Number of successfully completed jobs.", "units": "count",
        "group": "overview", "aggregate": "sum",
    }
    assert api_client.get("/metrics/", {"page": 2}).status_code == 404
    assert api_client.get("/metrics/", {"page_size": "0"}).status_code == 400


def test_metric_details_list_the_job_types_as_choices(api_client, ended_jobs):
    body = api_client.get("/metrics/job-types/").json()
    assert list(body) == [*TYPE_KEYS, "choices"]
    assert [c["name"] for c in body["choices"]] == ["a-type", "b-type"]
    assert list(body["choices"][0]) == BRIEF_KEYS
    assert body["choices"][0]["id"] == ended_jobs["a"].pk
    assert api_client.get("/v3/metrics/job-types/").json() == body


@pytest.mark.parametrize("path", ["/metrics/nope/", "/metrics/nope/plot-data/",
                                  "/metrics/1/plot-data/"])
def test_unknown_metrics_types_are_404(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "metrics type" in response.content.decode()


def test_plot_data_default_is_every_column_summed_by_day(api_client, ended_jobs):
    body = _plot(api_client)
    assert (body["count"], body["next"], body["previous"]) == (31, None, None)
    assert [r["column"]["name"] for r in body["results"]] == COLUMNS + TIME_COLUMNS
    # No execution completed: the time columns have no values.
    assert all(r["values"] == [] for r in body["results"][len(COLUMNS):])
    assert all(list(r) == PLOT_KEYS for r in body["results"])
    by_name = {r["column"]["name"]: r for r in body["results"]}
    assert _values(by_name["completed_count"]) == [
        ("2026-11-20", 2), ("2026-11-21", 0), ("2026-11-22", 0)
    ]
    assert _values(by_name["total_count"]) == [
        ("2026-11-20", 4), ("2026-11-21", 1), ("2026-11-22", 2)
    ]
    assert _values(by_name["error_system_count"]) == [
        ("2026-11-20", 1), ("2026-11-21", 0), ("2026-11-22", 1)
    ]
    total = by_name["total_count"]
    assert (total["min_x"], total["max_x"], total["min_y"], total["max_y"]) == (
        "2026-11-20", "2026-11-22", 1, 4
    )


def test_plot_data_as_the_scale_ui_asks_for_it(api_client, ended_jobs):
    """The Failure Rates page: every job type as choice_id, four columns under the UI's
    names, read by position; values by job type."""
    a, b = ended_jobs["a"].pk, ended_jobs["b"].pk
    body = _plot(api_client, choice_id=[a, b], dataType="job-types",
                 column=["system_error_count", "algorithm_error_count", "data_error_count",
                         "total_count"],
                 started="2026-11-20T00:00:00.000Z", ended="2026-11-22T23:59:59.999Z")
    assert [r["column"]["name"] for r in body["results"]] == [
        "error_system_count", "error_algorithm_count", "error_data_count", "total_count"
    ]
    system, algorithm, data, total = body["results"]
    assert all(list(v) == ["id", "date", "value"] for v in total["values"])
    assert _values(total) == [
        (a, "2026-11-20", 3), (b, "2026-11-20", 1), (b, "2026-11-21", 1), (a, "2026-11-22", 2)
    ]
    assert _values(system) == [
        (a, "2026-11-20", 1), (b, "2026-11-20", 0), (b, "2026-11-21", 0), (a, "2026-11-22", 1)
    ]
    assert [v["value"] for v in algorithm["values"]] == [0, 0, 0, 1]
    assert [v["value"] for v in data["values"]] == [0, 1, 0, 0]


def test_one_choice_is_that_job_type_summed_by_day_without_ids(api_client, ended_jobs):
    body = _plot(api_client, choice_id=ended_jobs["b"].pk, column="total_count")
    assert _values(body["results"][0]) == [("2026-11-20", 1), ("2026-11-21", 1)]


def test_groups_add_their_columns_after_the_named_ones_each_once(api_client, ended_jobs):
    body = _plot(api_client, column=["total_count", "error_data_count"], group="errors")
    assert [r["column"]["name"] for r in body["results"]] == [
        "total_count", "error_data_count", "error_system_count", "error_algorithm_count"
    ]


def test_the_window_selects_whole_days(api_client, ended_jobs):
    body = _plot(api_client, column="total_count", started="2026-11-21T23:00:00Z",
                 ended="2026-11-22T00:00:00+01:00")  # 2026-11-21 23:00 UTC
    assert _values(body["results"][0]) == [("2026-11-21", 1)]
    empty = _plot(api_client, column="total_count", started="2027-01-01T00:00:00Z")
    assert empty["results"] == [{
        "column": empty["results"][0]["column"], "min_x": None, "max_x": None,
        "min_y": None, "max_y": None, "values": [],
    }]


def test_cancels_and_reruns_move_a_job_between_days(api_client, ended_jobs):
    queued = factories.JobFactory(job_type=ended_jobs["b"], status="QUEUED")
    job_cancel(job_id=queued.pk)  # ends today
    today = datetime.now(UTC).date().isoformat()
    body = _plot(api_client, column="canceled_count")
    assert _values(body["results"][0])[-1] == (today, 1)
    Job.objects.filter(pk=queued.pk).update(status="QUEUED", ended=None)
    assert today not in [v["date"] for v in _plot(api_client)["results"][0]["values"]]


@pytest.mark.parametrize("per_job_type", [False, True])
def test_plot_data_is_what_plain_drf_renders(api_client, ended_jobs, per_job_type):
    from job import metrics, selectors
    from job.serializers import MetricsPlotSerializer

    choices = [ended_jobs["a"].pk, ended_jobs["b"].pk] if per_job_type else []
    body = _plot(api_client, choice_id=choices)
    plots = selectors.metrics_plot_data(
        JobDayCount.objects.all(), JobExecutionDayTime.objects.none(),
        columns=list(metrics.JOB_TYPES.columns), per_job_type=per_job_type,
    )
    assert body["results"] == MetricsPlotSerializer(plots, many=True).data
    assert body["results"][0]["values"]


def test_day_counts_equal_a_recount_of_the_jobs(ended_jobs):
    Job.objects.filter(status="COMPLETED").update(ended=DAY2)
    Job.objects.filter(status="CANCELED").delete()
    recount = {}
    for job in Job.objects.filter(ended__isnull=False,
                                  status__in=["COMPLETED", "FAILED", "CANCELED"]):
        key = (job.ended.date(), job.job_type_id, job.status, job.error_id)
        recount[key] = recount.get(key, 0) + 1
    kept = ledger_sums(JobDayCount, "occurred", "job_type_id", "status", "error_id")
    assert kept == recount


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"column": "nope"}, "column"),
        ({"group": "nope"}, "group"),
        ({"choice_id": "1.0"}, "choice_id"),
        ({"choice_id": "0"}, "choice_id"),
        ({"started": "yesterday"}, "started"),
        ({"ended": "2026-01-01T00:00:00"}, "ended"),
        ({"started": "2026-01-02T00:00:00Z", "ended": "2026-01-01T00:00:00Z"}, "started"),
        ({"page": "2"}, "page"),
        ({"page_size": "abc"}, "page_size"),
    ],
)
def test_bad_plot_parameters_are_4xx_naming_them(api_client, ended_jobs, params, named):
    response = api_client.get("/metrics/job-types/plot-data/", params)
    assert response.status_code == (404 if named == "page" else 400), response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_parameters_and_the_prefix(api_client, ended_jobs):
    body = api_client.get("/v3/metrics/job-types/plot-data/",
                          {"page_size": 2, "group": "overview"}).json()
    assert body["count"] == 4 and len(body["results"]) == 2
    assert body["next"] == (
        "http://testserver/v3/metrics/job-types/plot-data/?group=overview&page=2&page_size=2"
    )


def test_writes_are_405(api_client):
    assert api_client.post("/metrics/", {}, format="json").status_code == 405
    assert api_client.post("/metrics/job-types/plot-data/", {}, format="json").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_query_counts_do_not_grow_with_rows(api_client):
    job_type = factories.JobTypeFactory()
    _ended(job_type, "COMPLETED", DAY1)
    ids = [job_type.pk]
    plot = "/metrics/job-types/plot-data/"
    one = statement_count(api_client, plot)
    one_each = statement_count(api_client, plot, choice_id=ids + [ids[0] + 1])
    for n in range(10):
        other = factories.JobTypeFactory()
        ids.append(other.pk)
        _ended(other, "FAILED", DAY1 + timedelta(days=n), factories.ErrorFactory())
    # BEGIN, SET TRANSACTION, the count columns' sums by day, the time columns' (no
    # execution completed: nothing stale), COMMIT.
    assert one == statement_count(api_client, plot) == 5
    assert one_each == statement_count(api_client, plot, choice_id=ids) == 5
    assert statement_count(api_client, plot, group="errors") == 4
    # BEGIN, SET TRANSACTION, the choices' JSON, COMMIT; the list is declared: none.
    assert statement_count(api_client, "/metrics/job-types/") == 4
    assert statement_count(api_client, "/metrics/") == 0
