"""The browsable API, the page a person sees opening /jobs/ in a browser, in a real
headless Chromium (`make test-browser`): indented JSON, the endpoint's description in the
API's words, and a filter form with every parameter of the endpoint that sends what the
person filled in."""

import json

import pytest

from job.filters import JobListFilterSet
from job.models import Job
from tests import factories
from tests.job.test_admin_browser import CHROMIUM, assert_no_csp_violations, page  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent"),
]


@pytest.mark.django_db(transaction=True)
def test_job_list_page_is_indented_described_and_filters_with_every_parameter(page):  # noqa: F811
    job_type = factories.JobTypeFactory(name="landsat-ingest")
    running = factories.JobFactory(job_type=job_type, status=Job.Status.RUNNING)
    failed = factories.JobFactory(job_type=job_type, status=Job.Status.FAILED)
    factories.JobFactory(job_type=job_type, status=Job.Status.COMPLETED)

    page.goto("/jobs/")
    assert page.locator("h1").inner_text() == "Job List"
    description = page.locator(".content-main .pull-left").inner_text()
    assert description == "All jobs, by last_modified (then id) unless ordered otherwise."
    body = page.locator(".response-info pre").inner_text()
    payload = body[body.index("{"):]
    assert json.loads(payload)["count"] == 3
    assert '\n  "count": 3,\n' in payload  # indented, not one line
    assert '\n      "job_type": {\n' in payload

    page.get_by_role("button", name="Filters").click()
    form = page.locator("#filtersModal form")
    form.wait_for()
    names = set(form.locator("[name]").evaluate_all("els => els.map(e => e.name)"))
    assert names == set(JobListFilterSet.base_filters)
    form.locator("select[name=status]").select_option(["RUNNING", "FAILED"])
    form.locator("select[name=order]").select_option(["-id"])
    form.locator("input[name=job_type_name]").fill("landsat-ingest")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/jobs/?*")
    query = page.url.split("?", 1)[1]
    # Every status chosen is one parameter; the blank boxes are left out.
    assert sorted(query.split("&")) == sorted(
        ["status=RUNNING", "status=FAILED", "order=-id", "job_type_name=landsat-ingest"]
    )
    body = page.locator(".response-info pre").inner_text()
    rows = json.loads(body[body.index("{"):])["results"]
    assert [row["id"] for row in rows] == sorted([running.id, failed.id], reverse=True)
    # The form shows what was asked: the statuses stay chosen.
    page.get_by_role("button", name="Filters").click()
    chosen = page.locator("#filtersModal select[name=status] option:checked").all_inner_texts()
    assert chosen == ["Running", "Failed"]
    assert_no_csp_violations(page)


@pytest.mark.django_db(transaction=True)
def test_every_page_describes_itself_without_markup(page):  # noqa: F811
    job = factories.JobFactory()
    for path in ("/jobs/updates/", "/v3/jobs/executions/", f"/jobs/{job.pk}/", "/job-types/",
                 "/job-executions/", "/nodes/status/", "/errors/", "/recipes/", "/status/"):
        page.goto(path)
        text = page.locator(".content-main .pull-left").inner_text()
        assert text and "``" not in text and "/jobs/{id}/" not in text, (path, text)
    assert_no_csp_violations(page)
