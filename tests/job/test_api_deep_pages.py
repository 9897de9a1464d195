"""Pages read by key: ``next``/``previous`` links with ``after``/``before`` tokens, and
paging by ``cursor``. Every page read by key is compared with the same page read by
offset, and with PostgreSQL's own order of every row."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from job.models import Job
from scale.api.seek import seek_condition, sort_keys
from tests import factories
from tests.api_checks import statements
from tests.job.conftest import T0

pytestmark = pytest.mark.django_db

# Orderings of several kinds: the defaults, descending, nullable columns both ways,
# ties broken by id ascending and descending, several keys of mixed directions, a float
# with NULLs, and a column of another table (read by offset: its links have no token).
ORDERINGS = [
    ("/jobs/", []),
    ("/jobs/", ["-last_modified"]),
    ("/jobs/", ["started"]),
    ("/jobs/", ["-started"]),
    ("/jobs/", ["status", "-ended"]),
    ("/jobs/", ["-disk_in_required", "priority", "-id"]),
    ("/jobs/", ["-id"]),
    ("/jobs/", ["job_type__name", "-started"]),
    ("/jobs/updates/", []),
    ("/jobs/updates/", ["-last_status_change"]),
    ("/jobs/executions/", ["priority"]),
]
SOUGHT = [case for case in ORDERINGS if not any("__" in term for term in case[1])]


@pytest.fixture
def jobs(db):
    """23 jobs with many ties and NULLs on the columns sorted by."""
    kinds = [factories.JobTypeFactory(name=name) for name in ("b-type", "a-type", "c-type")]
    statuses = [Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.FAILED]
    created = []
    for n in range(23):
        job = factories.JobFactory(job_type=kinds[n % 3], status=statuses[n % 3],
                                   priority=n % 4)
        created.append(job.pk)
        Job.objects.filter(pk=job.pk).update(
            last_modified=T0 + timedelta(minutes=n // 3),
            last_status_change=None if n % 5 == 0 else T0 + timedelta(minutes=n % 4),
            started=None if n % 3 == 0 else T0 + timedelta(minutes=n % 2),
            ended=None if n % 4 == 0 else T0 + timedelta(minutes=n % 3),
            disk_in_required=None if n % 6 == 0 else float(n % 3) / 3,
        )
    return created


def _get(client, path, params=None):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(body) -> list[int]:
    return [row["id"] for row in body["results"]]


def _query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def _follow(client, link: str, direction: str) -> list[dict]:
    bodies = []
    while link:
        body = _get(client, link)
        bodies.append(body)
        link = body[direction]
    return bodies


@pytest.mark.parametrize(("path", "order"), ORDERINGS)
def test_following_next_and_previous_gives_the_offset_pages(api_client, jobs, path, order):
    everything = _ids(_get(api_client, path, {"order": order, "page_size": 1000}))
    assert sorted(everything) == sorted(jobs)
    offset_pages = [
        _ids(_get(api_client, path, {"order": order, "page_size": 4, "page": n}))
        for n in range(1, 7)
    ]
    assert sum(offset_pages, []) == everything
    first = _get(api_client, path, {"order": order, "page_size": 4})
    forward = [first, *_follow(api_client, first["next"], "next")]
    assert [_ids(body) for body in forward] == offset_pages
    backward = _follow(api_client, forward[-1]["previous"], "previous")
    assert [_ids(body) for body in backward] == offset_pages[-2::-1]
    sought = (path, order) in SOUGHT
    for number, body in enumerate(forward[:-1], start=1):
        query = _query(body["next"])
        assert query["page"] == [str(number + 1)]
        assert ("after" in query) is sought
        assert "before" not in query
    for body in forward[2:]:
        assert ("before" in _query(body["previous"])) is sought
    # The link to page 1 stays as the contract writes it.
    assert set(_query(forward[1]["previous"])) == ({"order", "page_size"} if order
                                                   else {"page_size"})


@pytest.mark.parametrize(("path", "order"), SOUGHT)
def test_a_page_followed_by_key_is_one_statement_without_offset(api_client, jobs, path, order):
    link = _get(api_client, path, {"order": order, "page_size": 4, "page": 3})["next"]
    split = urlsplit(link)
    params = {name: values for name, values in parse_qs(split.query).items()}
    (sql,) = statements(api_client, split.path, **params)
    assert "OFFSET" not in sql
    (sql,) = statements(api_client, split.path, **{**params, "after": []})
    assert "OFFSET" in sql


def test_the_seek_enters_the_ordering_index_at_the_key(api_client, jobs):
    link = _get(api_client, "/jobs/", {"page_size": 4, "page": 2})["next"]
    split = urlsplit(link)
    (sql,) = statements(api_client, split.path, **parse_qs(split.query))
    # The row comparison that PostgreSQL reads off job_last_modified_id_idx as a range.
    assert re.search(r'\(\w+\."last_modified", \w+\."id"\) >= \(', sql), sql


def test_a_window_ordered_updates_list_is_followed_by_key(api_client, jobs):
    params = {"started": "2015-08-28T17:56:00Z", "page_size": 3}
    everything = _ids(_get(api_client, "/jobs/updates/", {**params, "page_size": 1000}))
    first = _get(api_client, "/jobs/updates/", params)
    pages = [first, *_follow(api_client, first["next"], "next")]
    assert sum((_ids(body) for body in pages), []) == everything
    assert "after" in _query(first["next"])


def test_a_token_for_another_page_order_or_filter_is_ignored(api_client, jobs):
    link = _get(api_client, "/jobs/", {"page_size": 4, "page": 2})["next"]
    token = _query(link)["after"][0]
    for params in (
        {"page_size": 4, "page": 5},  # not the page after the token's
        {"page_size": 5, "page": 3},
        {"page_size": 4, "page": 3, "order": "-last_modified"},
        {"page_size": 4, "page": 3, "status": ["FAILED", "QUEUED"]},
    ):
        by_offset = _get(api_client, "/jobs/", params)
        assert _get(api_client, "/jobs/", {**params, "after": token}) == by_offset
    # A before token is not an after token.
    previous = _query(_get(api_client, "/jobs/", {"page_size": 4, "page": 4})["previous"])
    params = {"page_size": 4, "page": 4}
    assert _get(api_client, "/jobs/", {**params, "after": previous["before"][0]}) == _get(
        api_client, "/jobs/", params
    )


@pytest.mark.parametrize("name", ["after", "before", "cursor"])
def test_a_token_not_made_here_is_a_400_naming_it(api_client, jobs, name):
    link = _get(api_client, "/jobs/", {"page_size": 4, "page": 2})["next"]
    token = _query(link)["after"][0]
    tampered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    for value in ("junk", "", tampered, token + "x"):
        response = api_client.get("/jobs/", {name: value, "page_size": 4, "page": 3}
                                  if name != "cursor" else {name: value})
        assert response.status_code == 400, (value, response.content)
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode().startswith(f"{name}: ")


def test_rows_changed_between_pages(api_client, jobs):
    """Followed by key, the next page starts after the last row seen, whatever changed
    before it; the same page by offset is the slice of the rows as they are now."""
    page_2 = _get(api_client, "/jobs/", {"page_size": 4, "page": 2})
    seen = _ids(page_2)
    # Two rows move from the start of the order to its end, one row is deleted.
    first_two = _ids(_get(api_client, "/jobs/", {"page_size": 2}))
    Job.objects.filter(pk__in=first_two).update(last_modified=T0 + timedelta(days=1))
    remaining = [pk for pk in _ids(_get(api_client, "/jobs/", {"page_size": 1000}))]
    followed = _get(api_client, page_2["next"])
    after_seen = remaining[remaining.index(seen[-1]) + 1:]
    assert _ids(followed) == after_seen[:4]
    by_offset = _get(api_client, "/jobs/", {"page_size": 4, "page": 3})
    assert _ids(by_offset) == remaining[8:12]
    assert _ids(followed) != _ids(by_offset)
    assert followed["count"] == by_offset["count"] == 23
    # The last row seen is gone: the page still starts after its place in the order.
    Job.objects.filter(pk=seen[-1]).delete()
    assert _ids(_get(api_client, page_2["next"])) == after_seen[:4]


@pytest.mark.parametrize(("path", "order"), SOUGHT)
def test_paging_by_cursor_both_ways(api_client, jobs, path, order):
    everything = _ids(_get(api_client, path, {"order": order, "page_size": 1000}))
    first = _get(api_client, path, {"order": order, "page_size": 5, "cursor": "start"})
    assert first["previous"] is None and first["count"] == 23
    forward = [first, *_follow(api_client, first["next"], "next")]
    assert [len(_ids(body)) for body in forward] == [5, 5, 5, 5, 3]
    assert sum((_ids(body) for body in forward), []) == everything
    for body in forward[1:]:
        query = _query(body["previous"])
        assert "page" not in query and set(query) >= {"cursor", "page_size"}
        assert body["count"] == 23
    backward = _follow(api_client, forward[-1]["previous"], "previous")
    assert [_ids(body) for body in backward] == [_ids(body) for body in forward[-2::-1]]
    assert backward[-1]["previous"] is None
    assert _ids(_get(api_client, backward[-1]["next"])) == _ids(forward[1])


def test_cursor_pages_are_one_statement(api_client, jobs):
    first = _get(api_client, "/jobs/", {"page_size": 5, "cursor": "start"})
    split = urlsplit(first["next"])
    (sql,) = statements(api_client, split.path, **parse_qs(split.query))
    assert "OFFSET" not in sql


def test_cursor_of_an_empty_list(api_client):
    body = _get(api_client, "/jobs/", {"cursor": "start"})
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_cursor_refusals(api_client, jobs):
    def refusal(path, params):
        response = api_client.get(path, params)
        assert response.status_code == 400, response.content
        return response.content.decode()

    assert refusal("/jobs/", {"cursor": "start", "page": 2}).startswith("page: cannot be ")
    assert refusal("/jobs/", {"cursor": "start", "order": "job_type__name"}) == (
        "cursor: this order cannot be paged by cursor (it sorts by another table's "
        "columns or computed values); page by page instead.\n"
    )
    cursor = _query(_get(api_client, "/jobs/", {"cursor": "start", "page_size": 2})["next"])
    other = refusal("/jobs/", {"cursor": cursor["cursor"][0], "status": "FAILED"})
    assert other == ("cursor: was made for another query (other filters or order); start "
                     "again with cursor=start.\n")
    # A page link's token is no cursor, and a cursor no page token (then read by offset).
    after = _query(_get(api_client, "/jobs/", {"page_size": 2})["next"])["after"][0]
    assert refusal("/jobs/", {"cursor": after, "page_size": 2}).startswith("cursor: was made")
    assert _get(api_client, "/jobs/", {"page": 2, "page_size": 2, "after": cursor["cursor"][0]}
                ) == _get(api_client, "/jobs/", {"page": 2, "page_size": 2})
    assert refusal("/load/", {"cursor": "start"}) == (
        "cursor: this list is paged by page only.\n"
    )


def test_page_size_may_change_between_cursor_pages(api_client, jobs):
    everything = _ids(_get(api_client, "/jobs/", {"page_size": 1000}))
    first = _get(api_client, "/jobs/", {"page_size": 3, "cursor": "start"})
    cursor = _query(first["next"])["cursor"][0]
    assert _ids(_get(api_client, "/jobs/", {"cursor": cursor, "page_size": 7})) == (
        everything[3:10]
    )


@pytest.mark.parametrize(
    "terms",
    [["started", "id"], ["-started", "id"], ["-ended", "-id"], ["status", "-ended", "id"],
     ["disk_in_required", "-started", "-id"], ["last_status_change", "-disk_in_required", "id"]],
)
def test_the_seek_condition_is_postgresql_order(jobs, terms):
    """For every row: the rows the condition selects are those PostgreSQL sorts after
    it (before it), NULLs included."""
    queryset = Job.objects.order_by(*terms)
    keys = sort_keys(queryset)
    names = [term.removeprefix("-") for term in terms]
    ordered = list(queryset.values_list("pk", *names))
    for index, (_, *values) in enumerate(ordered):
        after = queryset.filter(seek_condition(keys, values))
        assert list(after.values_list("pk", flat=True)) == [row[0] for row in ordered[index + 1:]]
        before = queryset.filter(seek_condition(keys, values, before=True))
        assert list(before.values_list("pk", flat=True)) == [row[0] for row in ordered[:index]]


def test_orders_that_cannot_be_sought():
    assert sort_keys(Job.objects.order_by("job_type__name", "id")) is None
    assert sort_keys(Job.objects.order_by("job_type", "id")) is None
    assert sort_keys(Job.objects.order_by("last_modified")) is None  # no id: not total
    assert [key.label for key in sort_keys(Job.objects.order_by("-job_type_id", "id"))] == [
        "-job_type_id", "id"]
