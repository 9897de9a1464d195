"""The job admin in a real headless Chromium: log in, filter, open a job, cancel it.

Run with `make test-browser` (installs Debian's chromium when missing). The browser is the
system one (/usr/bin/chromium); Playwright only drives it, so `playwright install` is never
needed.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections

from job.models import Job
from job_exe.models import JobExecution
from tests import factories

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is absent: `make test-browser` installs Debian's chromium",
    ),
]


# Recorded by the page itself: every Content-Security-Policy violation, as the browser
# reports it (console messages are checked too).
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def page(live_server, monkeypatch):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -r requirements.txt"
    )
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (set-up and checks, never concurrent with a page) are still plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=live_server.url)
            context.set_default_timeout(15_000)
            context.add_init_script(RECORD_CSP_VIOLATIONS)
            new_page = context.new_page()
            new_page.csp_console = []
            new_page.on("console", lambda message: new_page.csp_console.append(message.text)
                        if "Content Security Policy" in message.text else None)
            yield new_page
        finally:
            browser.close()
            # ORM calls made while Playwright's loop was running used a connection of
            # their own; left open, it would keep the test database from being dropped.
            connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_operator_logs_in_filters_by_status_opens_a_job_and_cancels_it(page):
    User.objects.create_superuser("operator", "operator@example.com", "operator-pass-123")
    job_type = factories.JobTypeFactory(name="landsat-ingest")
    target = factories.JobFactory(job_type=job_type, status=Job.Status.QUEUED)
    execution = factories.JobExecutionFactory(job=target, status="QUEUED", stdout="SECRET-LOG")
    input_file = factories.JobInputFileFactory(job=target).input_file
    other_queued = factories.JobFactory(job_type=job_type, status=Job.Status.QUEUED)
    completed = factories.JobFactory(job_type=job_type, status=Job.Status.COMPLETED)

    response = page.goto("/admin/login/?next=/admin/job/job/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "operator")
    page.fill("#id_password", "operator-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/job/job/")
    assert page.locator("#result_list tbody tr").count() == 3

    page.locator("#changelist-filter").get_by_role("link", name="Queued", exact=True).click()
    page.wait_for_url("**/admin/job/job/?status__exact=QUEUED")
    listed = page.locator("#result_list tbody th a").all_inner_texts()
    assert sorted(map(int, listed)) == sorted([target.id, other_queued.id])
    assert str(completed.id) not in listed

    page.locator("#result_list tbody th a", has_text=str(target.id)).click()
    # The link keeps the list's filters (?_changelist_filters=...).
    page.wait_for_url(f"**/admin/job/job/{target.id}/change/?*")
    assert page.locator("h2", has_text="Job executions").is_visible()
    assert page.locator(f'a[href="/admin/job_exe/jobexecution/{execution.id}/change/"]').count()
    assert page.get_by_role("link", name=input_file.file_name).is_visible()
    assert "SECRET-LOG" not in page.content()

    page.go_back()
    page.wait_for_url("**/admin/job/job/?status__exact=QUEUED")
    page.check(f'input[name="_selected_action"][value="{target.id}"]')
    page.select_option("select[name=action]", "cancel_selected_jobs")
    page.click("button[name=index]")

    assert page.locator("ul.messagelist li").inner_text() == "Canceled 1 job."
    remaining = page.locator("#result_list tbody th a").all_inner_texts()
    assert remaining == [str(other_queued.id)]
    target.refresh_from_db()
    execution.refresh_from_db()
    assert (target.status, execution.status) == (Job.Status.CANCELED, JobExecution.Status.CANCELED)

    # The other way, from the job's own page.
    page.goto(f"/admin/job/job/{other_queued.id}/change/")
    page.click("button.cancel-job")
    page.wait_for_url(f"**/admin/job/job/{other_queued.id}/change/")
    assert page.locator("ul.messagelist li").inner_text() == "Canceled 1 job."
    assert page.locator("button.cancel-job").count() == 0
    other_queued.refresh_from_db()
    assert other_queued.status == Job.Status.CANCELED
    assert_no_csp_violations(page)


def assert_no_csp_violations(page) -> None:
    assert page.evaluate("window.cspViolations") == []
    assert page.csp_console == []


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_schema_under_the_content_security_policy(page):
    response = page.goto("/api/docs/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI's scripts ran: they fetched the schema and drew its operations.
    page.locator(".opblock-summary-path", has_text="/jobs/{id}/").first.wait_for()
    assert page.inner_text("#swagger-ui").startswith("Scale Job Services")
    assert page.locator(".opblock-summary-path", has_text="/jobs/{id}/").count() >= 1
    assert_no_csp_violations(page)
