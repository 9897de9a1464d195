"""``/load/`` (queue.rst): the jobs PENDING, QUEUED and RUNNING at every hour of a window,
as the jobs' own timestamps tell it, from ``job_load_change``."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from job.models import Job
from job.services import job_cancel
from tests import factories

pytestmark = pytest.mark.django_db

KEYS = ["time", "pending_count", "queued_count", "running_count"]
HOUR = timedelta(hours=1)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _job(job_type, status, *, created, queued=None, started=None, ended=None, lsc=None):
    job = factories.JobFactory(job_type=job_type, status=status)
    Job.objects.filter(pk=job.pk).update(
        created=created, queued=queued, started=started, ended=ended,
        last_status_change=lsc or ended or started or queued or created,
    )
    return Job.objects.get(pk=job.pk)


@pytest.fixture
def base():
    return timezone.now().replace(minute=0, second=0, microsecond=0) - 5 * HOUR


@pytest.fixture
def loaded(base):
    a = factories.JobTypeFactory(name="type-a", category="cat-a", priority=10)
    b = factories.JobTypeFactory(name="type-b", category="cat-b", priority=20)
    minutes = lambda m: base + timedelta(minutes=m)  # noqa: E731
    done = _job(a, "COMPLETED", created=minutes(-30), queued=minutes(30), started=minutes(90),
                ended=minutes(150))
    running = _job(b, "RUNNING", created=minutes(10), queued=minutes(20), started=minutes(40))
    pending = _job(a, "PENDING", created=minutes(-120))
    return {"a": a, "b": b, "done": done, "running": running, "pending": pending}


def _points(client, **params):
    response = client.get("/load/", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def _counts(body):
    return [(r["pending_count"], r["queued_count"], r["running_count"]) for r in body["results"]]


def test_points_are_the_whole_hours_of_the_window_with_their_counts(api_client, base, loaded):
    body = _points(api_client, started=_iso(base), ended=_iso(base + 3 * HOUR))
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    assert [list(row) for row in body["results"]] == [KEYS] * 4
    assert [row["time"] for row in body["results"]] == [
        _iso(base + n * HOUR) for n in range(4)
    ]
    assert _counts(body) == [(2, 0, 0), (1, 1, 1), (1, 0, 2), (1, 0, 1)]


def test_a_window_starting_within_an_hour_starts_at_the_next_one(api_client, base, loaded):
    body = _points(api_client, started=_iso(base + timedelta(minutes=1)),
                   ended=_iso(base + HOUR + timedelta(minutes=59)))
    assert [row["time"] for row in body["results"]] == [_iso(base + HOUR)]


def test_points_stop_at_now(api_client, base, loaded):
    body = _points(api_client, started=_iso(base), ended=_iso(base + 48 * HOUR))
    assert body["count"] == 6  # base .. base + 5 h, the current hour
    assert _counts(body)[-1] == (1, 0, 1)
    assert _points(api_client, started=_iso(base + 10 * HOUR),
                   ended=_iso(base + 11 * HOUR))["results"] == []


def test_default_window_is_from_midnight_7_days_ago_until_now(api_client, loaded):
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    body = _points(api_client, page_size=1000)
    assert body["results"][0]["time"] == _iso(midnight)
    assert body["count"] == int((now - midnight) / HOUR) + 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"job_type_id": "B"}, [(0, 0, 0), (0, 0, 1), (0, 0, 1), (0, 0, 1)]),
        ({"job_type_name": "type-a"}, [(2, 0, 0), (1, 1, 0), (1, 0, 1), (1, 0, 0)]),
        ({"job_type_category": ["cat-a", "cat-b"]},
         [(2, 0, 0), (1, 1, 1), (1, 0, 2), (1, 0, 1)]),
        ({"job_type_priority": "20"}, [(0, 0, 0), (0, 0, 1), (0, 0, 1), (0, 0, 1)]),
        ({"job_type_name": "nothing"}, [(0, 0, 0)] * 4),
    ],
)
def test_filters_count_only_the_job_types_chosen(api_client, base, loaded, params, expected):
    params = {k: (str(loaded["b"].pk) if v == "B" else v) for k, v in params.items()}
    body = _points(api_client, started=_iso(base), ended=_iso(base + 3 * HOUR), **params)
    assert _counts(body) == expected


def test_a_cancel_ends_the_state_at_its_hour(api_client, base, loaded):
    job_cancel(job_id=loaded["running"].pk)
    body = _points(api_client, started=_iso(base), ended=_iso(base + 6 * HOUR))
    # RUNNING until the cancel, in the current hour: every whole hour before still counts it.
    assert [r for _, _, r in _counts(body)] == [0, 1, 2, 1, 1, 1]
    later = _points(api_client, started=_iso(base + 5 * HOUR), ended=_iso(base + 6 * HOUR))
    assert later["count"] == 1


def _oracle_state(job: Job, moment: datetime) -> str | None:
    """The state a job was in at ``moment`` by JobLoadChange's rules, written out."""

    def during(start, ends, current):
        if start is None or start >= moment:
            return False
        end = next((e for e in ends if e is not None), None)
        if end is None and job.status != current:
            end = job.last_status_change
        return end is None or max(end, start) >= moment

    if during(job.started, [job.ended], "RUNNING"):
        return "running"
    if during(job.queued, [job.started, job.ended], "QUEUED"):
        return "queued"
    if during(job.created, [job.queued, job.started, job.ended], "PENDING"):
        return "pending"
    return None


def test_counts_equal_the_jobs_own_timestamps_after_inserts_updates_and_deletes(
    api_client, base
):
    job_type = factories.JobTypeFactory()
    at = lambda m: base - 20 * HOUR + timedelta(minutes=m)  # noqa: E731
    jobs = []
    for n in range(30):
        status = ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "COMPLETED", "FAILED",
                  "CANCELED"][n % 7]
        created = at(n * 37)
        queued = at(n * 37 + 50) if status not in ("PENDING", "BLOCKED") else None
        started = at(n * 37 + 130) if status in ("RUNNING", "COMPLETED", "FAILED") else None
        ended = at(n * 37 + 400) if status in ("COMPLETED", "FAILED", "CANCELED") else None
        jobs.append(_job(job_type, status, created=created, queued=queued, started=started,
                         ended=ended))
    # Out of order, retried, deleted, bulk-updated: the summary follows every write.
    Job.objects.filter(pk=jobs[4].pk).update(started=at(10), ended=at(5))
    Job.objects.filter(pk__in=[jobs[2].pk, jobs[9].pk]).update(
        status="QUEUED", queued=at(900), started=None, ended=None, last_status_change=at(900))
    Job.objects.filter(pk=jobs[11].pk).delete()
    Job.objects.filter(pk=jobs[13].pk).update(status="CANCELED", ended=at(1000),
                                              last_status_change=at(1000))
    remaining = list(Job.objects.filter(job_type=job_type))
    started, ended = base - 24 * HOUR, base + 5 * HOUR
    body = _points(api_client, started=_iso(started), ended=_iso(ended), page_size=1000)
    expected = []
    for row in body["results"]:
        moment = datetime.fromisoformat(row["time"].replace("Z", "+00:00"))
        states = [_oracle_state(job, moment) for job in remaining]
        expected.append((states.count("pending"), states.count("queued"),
                         states.count("running")))
    assert _counts(body) == expected
    assert any(counts != (0, 0, 0) for counts in expected)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"started": "2026-01-02T00:00:00Z", "ended": "2026-01-01T00:00:00Z"}, "started"),
        ({"started": "P32D"}, "started"),
        ({"started": "2026-01-01T00:00:00Z", "ended": "2026-02-02T00:00:00Z"}, "started"),
        ({"ended": "P10D"}, "started"),  # before the default start
        ({"started": "yesterday"}, "started"),
        ({"ended": "2026-01-01T00:00:00"}, "ended"),
        ({"job_type_id": "1.0"}, "job_type_id"),
        ({"job_type_priority": "-1"}, "job_type_priority"),
        ({"job_type_name": "x" * 251}, "job_type_name"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_them(api_client, loaded, params, named):
    response = api_client.get("/load/", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{named}: ")


def test_paging_links_keep_the_parameters_and_the_prefix(api_client, base, loaded):
    params = {"started": _iso(base), "ended": _iso(base + 3 * HOUR), "page_size": 2}
    body = api_client.get("/v3/load/", params).json()
    assert body["count"] == 4 and len(body["results"]) == 2
    assert body["next"].startswith("http://testserver/v3/load/?")
    assert "page=2" in body["next"] and "page_size=2" in body["next"]
    assert api_client.get("/load/", {**params, "page": 3}).status_code == 404
    assert body["results"] == api_client.get("/load/", params).json()["results"]


def test_writes_are_405(api_client):
    assert api_client.post("/load/", {}, format="json").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_query_count_does_not_grow_with_rows(api_client, base):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get("/load/", {"page_size": 1000}).status_code == 200
        return len(captured)

    job_type = factories.JobTypeFactory()
    _job(job_type, "RUNNING", created=base, queued=base, started=base)
    one = queries()
    for n in range(20):
        _job(job_type, "COMPLETED", created=base - n * HOUR, queued=base - n * HOUR,
             started=base, ended=base + HOUR)
    # BEGIN, SET TRANSACTION, the changes before the window, the window's hours, COMMIT.
    assert one == queries() == 5
