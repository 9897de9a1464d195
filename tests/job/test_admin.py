"""The job admin: a list that stays cheap on big tables, the cancel action, the job page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from job import admin as job_admin
from job.models import Job
from job_exe.models import JobExecution
from scale.admin_kit import EstimatedCountPaginator
from tests import factories
from tests.job.conftest import set_times

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/job/job/"


def _listed_ids(response) -> list[int]:
    return [job.id for job in response.context["cl"].result_list]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _busy_jobs(count: int) -> list[Job]:
    """Jobs spread over several job types, errors and events, as a real list is."""
    errors = [
        factories.ErrorFactory(category=category) for category in ("SYSTEM", "ALGORITHM", "DATA")
    ]
    job_types = [factories.JobTypeFactory(category=f"cat-{n}") for n in range(3)]
    return [
        factories.JobFactory(
            job_type=job_types[n % 3],
            error=errors[n % 3] if n % 2 else None,
            status=Job.Status.FAILED if n % 2 else Job.Status.QUEUED,
        )
        for n in range(count)
    ]


def _cancel_action(client, job_ids, **extra):
    data = {"action": "cancel_selected_jobs", "index": 0, "_selected_action": job_ids, **extra}
    return client.post(CHANGELIST, data, follow=True)


# The list ----------------------------------------------------------------------------


def test_job_list_query_count_is_the_same_for_one_job_and_for_many(admin_client):
    _busy_jobs(1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(CHANGELIST).status_code == 200
    _busy_jobs(40)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert len(_listed_ids(response)) == 41
    # session, user, the count bounded at 10,001 rows, the page (job type and error
    # joined), MIN/MAX of last_modified for the date hierarchy, the job type categories
    # of the filter. (Past 10,000 matching rows, one EXPLAIN more estimates the count.)
    assert len(one.captured_queries) == len(many.captured_queries) == 6


def test_job_list_count_is_bounded_and_the_page_never_reads_data_or_results(admin_client):
    _busy_jobs(3)
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST)
    sqls = [query["sql"] for query in queries.captured_queries]
    counts = [sql for sql in sqls if "COUNT(" in sql]
    assert counts == [
        'SELECT COUNT(*) FROM (SELECT "job"."id" AS "pk" FROM "job" LIMIT 10001) subquery'
    ]
    page = next(sql for sql in sqls if sql.startswith('SELECT "job"."id", "job"."job_type_id"'))
    assert '"job"."data"' not in page
    assert '"job"."results"' not in page
    assert '"job_type"."interface"' not in page


def test_filtered_job_list_counts_exactly_up_to_the_limit_then_estimates(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 3)
    factories.JobFactory.create_batch(5, status=Job.Status.QUEUED)
    factories.JobFactory.create_batch(2, status=Job.Status.RUNNING)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE job")

    small = admin_client.get(CHANGELIST, {"status__exact": "RUNNING"})
    big = admin_client.get(CHANGELIST, {"status__exact": "QUEUED"})

    assert (small.context["cl"].result_count, small.context["cl"].count_is_estimate) == (2, False)
    assert "about" not in small.content.decode().split('class="paginator"')[1]
    # ANALYZE saw every row of this small table, so the planner's estimate is exact here.
    assert (big.context["cl"].result_count, big.context["cl"].count_is_estimate) == (5, True)
    assert "about 5 jobs" in big.content.decode()


def test_job_list_filters_by_status_job_type_category_and_error_category(admin_client):
    jobs = _busy_jobs(6)  # statuses Q F Q F Q F; categories cat-0/1/2; errors on odd ones
    by_status = admin_client.get(CHANGELIST, {"status__exact": "FAILED"})
    by_category = admin_client.get(CHANGELIST, {"job_type__category": "cat-1"})
    by_error = admin_client.get(CHANGELIST, {"error__category__exact": "ALGORITHM"})
    combined = admin_client.get(
        CHANGELIST, {"status__exact": "QUEUED", "job_type__category": "cat-2"}
    )

    assert sorted(_listed_ids(by_status)) == [jobs[1].id, jobs[3].id, jobs[5].id]
    assert sorted(_listed_ids(by_category)) == [jobs[1].id, jobs[4].id]
    assert sorted(_listed_ids(by_error)) == [jobs[1].id]
    assert _listed_ids(combined) == [jobs[2].id]
    filters = by_status.content.decode()
    assert "By job type category" in filters and "By error category" in filters


def test_job_list_is_newest_first_and_drills_down_by_last_modified(admin_client):
    old, new = factories.JobFactory(), factories.JobFactory()
    set_times(old, last_modified=datetime(2015, 3, 4, 5, 6, tzinfo=UTC))
    set_times(new, last_modified=datetime(2016, 1, 2, 3, 4, tzinfo=UTC))

    everything = admin_client.get(CHANGELIST)
    year_2015 = admin_client.get(CHANGELIST, {"last_modified__year": "2015"})

    assert _listed_ids(everything) == [new.id, old.id]
    assert _listed_ids(year_2015) == [old.id]
    assert "?last_modified__year=2016" in everything.content.decode()


def test_job_list_date_hierarchy_reads_min_and_max_instead_of_every_date(admin_client):
    for when in (
        datetime(2015, 3, 30, tzinfo=UTC),
        datetime(2015, 4, 2, tzinfo=UTC),
        datetime(2015, 4, 4, tzinfo=UTC),
        datetime(2017, 1, 1, tzinfo=UTC),
    ):
        set_times(factories.JobFactory(), last_modified=when)

    with CaptureQueriesContext(connection) as queries:
        years = admin_client.get(CHANGELIST)
    months = admin_client.get(CHANGELIST, {"last_modified__year": "2015"})
    days = admin_client.get(
        CHANGELIST, {"last_modified__year": "2015", "last_modified__month": "4"}
    )
    empty = admin_client.get(CHANGELIST, {"last_modified__year": "2016"})

    def choices(response):
        html = response.content.decode().split('<nav class="toplinks">')[1].split("</nav>")[0]
        return [line.strip() for line in html.split("\n") if "<a" in line or "<span" in line]

    assert not any("DISTINCT DATE_TRUNC" in q["sql"] for q in queries.captured_queries)
    # Every year between the first and the last, 2016 included though it has no job.
    assert [c for c in choices(years) if "last_modified__year=" in c] == [
        '<a href="?last_modified__year=2015">2015</a>',
        '<a href="?last_modified__year=2016">2016</a>',
        '<a href="?last_modified__year=2017">2017</a>',
    ]
    assert "last_modified__month=3" in choices(months)[1]
    assert "last_modified__month=4" in choices(months)[2]
    assert len(choices(months)) == 3  # back link, March, April
    # April 2 to April 4: the 3rd is offered too, though no job was modified that day.
    assert [c.split(">")[1].split("<")[0] for c in choices(days)[1:]] == [
        "April 2",
        "April 3",
        "April 4",
    ]
    assert _listed_ids(empty) == []
    assert choices(empty) == ['<a href="?" class="date-back">&lsaquo; All dates</a>']


def test_job_list_search_matches_a_job_id_exactly_or_part_of_a_job_type_name(admin_client):
    ingest = factories.JobFactory(job_type=factories.JobTypeFactory(name="landsat-ingest"))
    parse = factories.JobFactory(job_type=factories.JobTypeFactory(name="modis-parse"))

    by_id = admin_client.get(CHANGELIST, {"q": str(parse.id)})
    by_name = admin_client.get(CHANGELIST, {"q": "INGEST"})
    by_unknown_id = admin_client.get(CHANGELIST, {"q": "999999"})

    assert _listed_ids(by_id) == [parse.id]
    assert _listed_ids(by_name) == [ingest.id]
    assert _listed_ids(by_unknown_id) == []


def test_job_list_links_each_row_to_its_job_type_error_and_event(admin_client):
    job = factories.JobFactory(error=factories.ErrorFactory(name="disk-full"))
    html = admin_client.get(CHANGELIST).content.decode()
    assert f'href="/admin/job/jobtype/{job.job_type_id}/change/"' in html
    assert f'href="/admin/error/error/{job.error_id}/change/">disk-full</a>' in html
    assert f'href="/admin/trigger/triggerevent/{job.event_id}/change/">event {job.event_id}' in html


# The cancel action -------------------------------------------------------------------


def test_cancel_action_cancels_through_the_service_and_reports_what_it_skipped(admin_client):
    queued = factories.JobFactory(status=Job.Status.QUEUED)
    running_exe = factories.JobExecutionFactory(job=queued, status="RUNNING")
    failed = factories.JobFactory(status=Job.Status.FAILED)
    canceled = factories.JobFactory(status=Job.Status.CANCELED)
    completed = factories.JobFactory(status=Job.Status.COMPLETED)
    other = factories.JobFactory(status=Job.Status.QUEUED)

    response = _cancel_action(
        admin_client, [queued.id, failed.id, canceled.id, completed.id]
    )

    assert response.status_code == 200
    assert _messages(response) == [
        "Canceled 2 jobs; skipped 2: 1 already canceled, 1 completed."
    ]
    statuses = dict(Job.objects.values_list("id", "status"))
    assert statuses == {
        queued.id: "CANCELED",
        failed.id: "CANCELED",
        canceled.id: "CANCELED",
        completed.id: "COMPLETED",
        other.id: "QUEUED",
    }
    running_exe.refresh_from_db()
    assert running_exe.status == JobExecution.Status.CANCELED


def test_cancel_action_with_nothing_cancelable_warns(admin_client):
    completed = factories.JobFactory(status=Job.Status.COMPLETED)
    response = _cancel_action(admin_client, [completed.id])
    messages = list(get_messages(response.wsgi_request))
    assert [(str(m), m.level_tag) for m in messages] == [
        ("Canceled 0 jobs; skipped 1: 1 completed.", "warning")
    ]


def test_cancel_action_over_all_filtered_jobs_refuses_more_than_the_limit(
    admin_client, monkeypatch
):
    monkeypatch.setattr(job_admin, "CANCEL_ACTION_LIMIT", 2)
    jobs = factories.JobFactory.create_batch(3, status=Job.Status.QUEUED)

    response = _cancel_action(admin_client, [jobs[0].id], select_across=1)

    assert _messages(response) == [
        "Nothing canceled: more than 2 jobs are selected. Narrow the selection, or run "
        "`manage.py cancel_jobs` with the same filters."
    ]
    assert set(Job.objects.values_list("status", flat=True)) == {"QUEUED"}


def test_cancel_action_is_offered_only_to_users_who_may_change_jobs(client):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    job = factories.JobFactory(status=Job.Status.QUEUED)
    client.force_login(viewer)

    page = client.get(CHANGELIST)
    response = _cancel_action(client, [job.id])

    assert page.status_code == 200
    assert "cancel_selected_jobs" not in page.content.decode()
    # Without an action to run, the POST only shows the list again.
    assert (response.status_code, _messages(response)) == (200, [])
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


# The job page ------------------------------------------------------------------------


def test_job_page_shows_executions_files_recipes_and_links_without_logs(admin_client, rich_job):
    parts = rich_job.test_parts
    JobExecution.objects.filter(job=rich_job).update(stdout="SECRET-LOG", stderr="SECRET-ERR")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:job_job_change", args=[rich_job.id]))

    assert response.status_code == 200
    html = response.content.decode()
    inline = response.context["inline_admin_formsets"]
    assert [formset.opts.verbose_name_plural for formset in inline] == [
        "job executions",
        "recipes",
    ]
    assert [form.original.id for form in inline[0]] == [
        exe.id for exe in reversed(parts["executions"])
    ]
    assert [form.original.recipe_id for form in inline[1]] == [r.id for r in parts["recipes"]]
    for scale_file in [parts["source"], *parts["extras"], parts["product"], *parts["tiles"]]:
        assert f'href="/admin/storage/scalefile/{scale_file.id}/change/"' in html
    assert f'href="/admin/job/jobtype/{rich_job.job_type_id}/change/"' in html
    assert f'href="/admin/trigger/triggerevent/{rich_job.event_id}/change/"' in html
    assert f'href="/admin/job_exe/jobexecution/?job__id__exact={rich_job.id}">3 executions' in html
    assert "SECRET" not in html
    sqls = [query["sql"] for query in queries.captured_queries]
    assert not any('"stdout"' in sql or '"stderr"' in sql for sql in sqls)
    # COMPLETED: nothing to cancel, so no button.
    assert "Cancel job" not in html


def test_job_page_is_read_only(admin_client):
    job = factories.JobFactory(status=Job.Status.QUEUED, priority=100)
    url = reverse("admin:job_job_change", args=[job.id])

    page = admin_client.get(url)
    response = admin_client.post(url, {"priority": 1})

    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.priority == 100


def test_job_page_cancel_button_cancels_and_comes_back_to_the_job(admin_client):
    job = factories.JobFactory(status=Job.Status.RUNNING)
    page = admin_client.get(reverse("admin:job_job_change", args=[job.id]))
    cancel_url = reverse("admin:job_job_cancel", args=[job.id])
    assert f'action="{cancel_url}"' in page.content.decode()

    response = admin_client.post(cancel_url)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("admin:job_job_change", args=[job.id]),
    )
    assert _messages(response) == ["Canceled 1 job."]
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELED
    assert admin_client.get(cancel_url).status_code == 405


def test_job_page_cancel_of_a_completed_job_changes_nothing(admin_client):
    job = factories.JobFactory(status=Job.Status.COMPLETED)
    response = admin_client.post(reverse("admin:job_job_cancel", args=[job.id]), follow=True)
    assert _messages(response) == ["Canceled 0 jobs; skipped 1: 1 completed."]
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED


def test_executions_list_links_back_to_the_job_and_reads_no_logs(admin_client):
    execution = factories.JobExecutionFactory(stdout="SECRET-LOG", error=factories.ErrorFactory())
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            "/admin/job_exe/jobexecution/", {"job__id__exact": execution.job_id}
        )
    html = response.content.decode()
    assert [e.id for e in response.context["cl"].result_list] == [execution.id]
    assert f'href="/admin/job/job/{execution.job_id}/change/">job {execution.job_id}</a>' in html
    assert f'href="/admin/error/error/{execution.error_id}/change/"' in html
    assert not any('"stdout"' in q["sql"] for q in queries.captured_queries)


def test_execution_page_shows_the_tail_of_its_logs(admin_client, monkeypatch):
    from job_exe import admin as job_exe_admin

    monkeypatch.setattr(job_exe_admin, "LOG_TAIL_CHARS", 5)
    execution = factories.JobExecutionFactory(stdout="0123456789", stderr="oops")
    html = admin_client.get(
        reverse("admin:job_exe_jobexecution_change", args=[execution.id])
    ).content.decode()
    assert "<p>The last 5 of 10 characters:</p><pre>56789</pre>" in html
    assert "<pre>oops</pre>" in html


def test_job_type_page_links_to_its_jobs_and_delete_counts_what_protects_it(admin_client):
    job_type = factories.JobTypeFactory()
    factories.JobFactory.create_batch(2, job_type=job_type)
    jobs_url = f"/admin/job/job/?job_type__id__exact={job_type.id}"

    page = admin_client.get(reverse("admin:job_jobtype_change", args=[job_type.id]))
    listed = admin_client.get(jobs_url)
    delete = admin_client.get(reverse("admin:job_jobtype_delete", args=[job_type.id]))

    assert f'href="{jobs_url}"' in page.content.decode()
    assert len(_listed_ids(listed)) == 2
    assert delete.context["protected"] == ["2 job type revisions", "2 jobs"]


def test_recent_jobs_sort_above_old_ones_even_with_equal_ids_order(admin_client):
    first, second = factories.JobFactory(), factories.JobFactory()
    now = datetime.now(UTC)
    set_times(first, last_modified=now)
    set_times(second, last_modified=now - timedelta(hours=1))
    assert _listed_ids(admin_client.get(CHANGELIST)) == [first.id, second.id]
