"""/jobs/updates/ with a window reads its jobs in last_status_change order by index
(``JobUpdatePaginator``): every page equals the plain ORDER BY of the window's jobs,
whatever the lag between a job's status change and its last modification."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from job.models import Job
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def lagging_jobs():
    """Jobs whose last_modified trails last_status_change by nothing, by seconds, by more
    than a minute, by days, or whose status never changed (null)."""
    rng = random.Random(12)
    jobs = [factories.JobFactory() for _ in range(150)]
    values = []
    for job in jobs:
        modified = NOW - timedelta(hours=10) * rng.random()
        lag = rng.choice([timedelta(0), timedelta(seconds=rng.randint(1, 59)),
                          timedelta(minutes=rng.randint(2, 300)), timedelta(days=3), None])
        changed = "NULL" if lag is None else f"TIMESTAMPTZ '{(modified - lag).isoformat()}'"
        values.append(f"({job.id}, TIMESTAMPTZ '{modified.isoformat()}', {changed})")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE job SET last_modified = v.m, last_status_change = v.c "
            f"FROM (VALUES {', '.join(values)}) AS v(id, m, c) WHERE job.id = v.id"
        )


@pytest.mark.parametrize("hours", [1, 4, 11])
@pytest.mark.parametrize("page_size", [7, 50])
def test_every_page_of_a_window_is_the_plain_order(lagging_jobs, hours, page_size):
    started = NOW - timedelta(hours=hours)
    expected = list(
        Job.objects.filter(last_modified__gte=started)
        .order_by("last_status_change", "id").values_list("id", flat=True)
    )
    client = APIClient()
    seen = []
    page = 1
    while True:
        response = client.get("/jobs/updates/", {"started": started.isoformat(),
                                                 "page": page, "page_size": page_size})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == len(expected)
        seen += [row["id"] for row in body["results"]]
        if body["next"] is None:
            break
        page += 1
    assert seen == expected
    if hours == 11:  # the whole window holds jobs of every lag, and null ones
        assert Job.objects.filter(last_modified__gte=started, last_status_change=None).exists()


def test_an_explicit_order_or_no_window_reads_as_every_list(lagging_jobs):
    started = NOW - timedelta(hours=5)
    client = APIClient()
    body = client.get("/jobs/updates/", {"started": started.isoformat(),
                                         "order": "-last_status_change"}).json()
    expected = list(
        Job.objects.filter(last_modified__gte=started)
        .order_by("-last_status_change", "id").values_list("id", flat=True)[:100]
    )
    assert [row["id"] for row in body["results"]] == expected
    body = client.get("/jobs/updates/").json()
    expected = list(Job.objects.order_by("last_status_change", "id")
                    .values_list("id", flat=True)[:100])
    assert [row["id"] for row in body["results"]] == expected


@pytest.mark.parametrize("hours", [1, 11])
def test_following_next_then_previous_by_key_gives_the_plain_order(lagging_jobs, hours):
    """The links carry a key (``after``, ``before``): each part, the lagging jobs' too, is
    read from it on, forwards and backwards."""
    started = NOW - timedelta(hours=hours)
    expected = list(
        Job.objects.filter(last_modified__gte=started)
        .order_by("last_status_change", "id").values_list("id", flat=True)
    )
    client = APIClient()
    body = client.get("/jobs/updates/", {"started": started.isoformat(),
                                         "page_size": 6}).json()
    pages = [body]
    while body["next"]:
        assert "after=" in body["next"]
        body = client.get(body["next"]).json()
        pages.append(body)
    assert sum(([row["id"] for row in page["results"]] for page in pages), []) == expected
    backwards = []
    while body["previous"]:
        body = client.get(body["previous"]).json()
        backwards.append([row["id"] for row in body["results"]])
    assert backwards == [[row["id"] for row in page["results"]] for page in pages[-2::-1]]
