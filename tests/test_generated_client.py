"""A Python client generated from the live schema (``make client``, openapi-python-client)
drives the live service: gunicorn on the test database, filled by generate_demo_data.

Lists with repeated filters, followed page by page; the details of a job of every status,
inputs and outputs parsed; updates; executions; a cancel with a token; and each error
status reaching the caller typed, as ``ErrorDetail`` with the response's status.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from http import HTTPStatus
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from job.models import Job
from tests.servers import BASE_DIR, clean_environment, database_url, gunicorn

PACKAGE = "scale_job_services_client"
# The test database, with the module's data committed (gunicorn reads it from its own
# connections) and removed after the module.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, tmp_path_factory):
    """The served service with demo data, the client generated from its schema, and the
    tokens of a user who may cancel jobs and of one who may not."""
    with django_db_blocker.unblock():
        call_command("generate_demo_data", jobs=80, seed=11, now="2026-01-05T12:00:00Z",
                     stdout=StringIO(), stderr=StringIO())
        operator = User.objects.create_user("client-operator")
        operator.user_permissions.add(Permission.objects.get(codename="change_job"))
        tokens = {
            "operator": Token.objects.create(user=operator).key,
            "reader": Token.objects.create(user=User.objects.create_user("client-reader")).key,
        }
        env = clean_environment(DATABASE_URL=database_url())
    try:
        with gunicorn(env) as base_url:
            project = tmp_path_factory.mktemp("client") / "scale-job-services-client"
            subprocess.run(
                ["make", "--no-print-directory", "client",
                 f"SCHEMA_URL={base_url}/api/schema/?format=json", f"CLIENT_DIR={project}"],
                cwd=BASE_DIR, check=True, capture_output=True, timeout=300,
            )
            sys.path.insert(0, str(project))
            try:
                yield base_url, tokens
            finally:
                sys.path.remove(str(project))
                for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
                    del sys.modules[name]
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def client_module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def anonymous(base_url: str):
    # Errors are JSON when asked for: the generated client then parses them.
    return client_module("client").Client(base_url, headers={"Accept": "application/json"},
                                          raise_on_unexpected_status=True)


def with_token(base_url: str, token: str):
    return client_module("client").AuthenticatedClient(
        base_url, token=token, prefix="Token", headers={"Accept": "application/json"},
        raise_on_unexpected_status=True,
    )


def next_page(page) -> int | None:
    return int(parse_qs(urlsplit(page.next_).query)["page"][0]) if page.next_ else None


def test_list_with_repeated_filters_follows_next_to_the_last_page(live, django_db_blocker):
    base_url, _ = live
    list_jobs = client_module("api.jobs.list_jobs")
    models = client_module("models")
    client = anonymous(base_url)
    statuses = [models.JobStatus.COMPLETED, models.JobStatus.FAILED]
    order = [models.JobOrder.JOB_TYPE_NAME, models.JobOrder.ID_DESC]
    seen, page_number, pages = [], 1, 0
    while page_number is not None:
        page = list_jobs.sync(client=client, status=statuses, order=order, page_size=7,
                              page=page_number)
        assert isinstance(page, models.PaginatedJobList)
        assert all(isinstance(job, models.Job) for job in page.results)
        seen += page.results
        pages += 1
        page_number = next_page(page)
    with django_db_blocker.unblock():
        expected = list(
            Job.objects.filter(status__in=["COMPLETED", "FAILED"])
            .order_by("job_type__name", "-id").values_list("id", "status")
        )
    assert [(job.id, job.status.value) for job in seen] == expected
    assert page.count == len(expected) and pages == -(-len(expected) // 7) > 1
    failed = [job for job in seen if job.status == models.JobStatus.FAILED]
    assert failed and all(isinstance(job.error, models.ErrorBrief) for job in failed)
    assert all(isinstance(job.error.category, models.ErrorCategory) for job in failed)


def test_details_of_a_job_of_every_status_parse_with_inputs_and_outputs(live,
                                                                       django_db_blocker):
    base_url, _ = live
    get_job = client_module("api.jobs.get_job")
    models = client_module("models")
    client = anonymous(base_url)
    with django_db_blocker.unblock():
        ids = {status: Job.objects.filter(status=status).values_list("id", flat=True).first()
               for status in Job.Status.values}
    assert all(ids.values()), ids
    kinds = set()
    for status, job_id in ids.items():
        job = get_job.sync(job_id, client=client)
        assert isinstance(job, models.JobDetails), status
        assert (job.id, job.status) == (job_id, models.JobStatus(status))
        assert isinstance(job.job_type, models.JobType)
        assert all(isinstance(exe, models.JobExecution) for exe in job.job_exes)
        for entry in [*job.inputs, *job.outputs]:
            assert isinstance(entry, models.JobInterfaceValue)
            kinds.add(entry.type_)
    assert {"file", "files", "property"} <= kinds
    completed = get_job.sync(ids["COMPLETED"], client=client)
    # A file value is an object (its keys those of a file), files a list of them.
    file_input = next(entry for entry in completed.inputs if entry.type_ == "file")
    assert file_input.value["file_name"] and file_input.value["workspace"]["name"]
    output = next(entry for entry in completed.outputs if entry.value is not None)
    product = output.value if output.type_ == "file" else output.value[0]
    assert product["job"] == {"id": completed.id}


def test_updates_and_executions_parse(live):
    base_url, _ = live
    models = client_module("models")
    client = anonymous(base_url)
    updates = client_module("api.jobs.list_job_updates").sync(client=client, page_size=100)
    assert isinstance(updates, models.PaginatedJobUpdateList)
    files = [f for job in updates.results for f in job.input_files]
    assert files and all(isinstance(f, models.ScaleFile) for f in files)
    assert all(isinstance(f.workspace, models.WorkspaceBrief) for f in files)
    executions = client_module("api.jobs.list_job_executions").sync(client=client,
                                                                    page_size=100)
    latest = [job.latest_job_exe for job in executions.results]
    assert any(exe is None for exe in latest)
    assert any(isinstance(exe, models.JobExecution) for exe in latest)
    assert all(isinstance(exe.status, models.JobExecutionStatus) for exe in latest if exe)
    one = next(exe for exe in latest if exe)
    details = client_module("api.job_executions.get_execution").sync(one.id, client=client)
    assert isinstance(details, models.JobExecutionDetails) and details.id == one.id


def test_cancel_with_a_token_answers_the_canceled_job(live, django_db_blocker):
    base_url, tokens = live
    cancel_job = client_module("api.jobs.cancel_job")
    models = client_module("models")
    with django_db_blocker.unblock():
        job_id = Job.objects.filter(status="RUNNING").values_list("id", flat=True).first()
    body = models.JobCancelRequest(status=models.JobCancelStatus.CANCELED)
    response = cancel_job.sync_detailed(job_id, client=with_token(base_url, tokens["operator"]),
                                        body=body)
    assert response.status_code == HTTPStatus.OK
    assert isinstance(response.parsed, models.JobDetails)
    assert response.parsed.status == models.JobStatus.CANCELED
    with django_db_blocker.unblock():
        assert Job.objects.get(pk=job_id).status == "CANCELED"


def test_each_error_status_reaches_the_caller_typed(live, django_db_blocker):
    base_url, tokens = live
    models = client_module("models")
    list_jobs = client_module("api.jobs.list_jobs")
    get_job = client_module("api.jobs.get_job")
    cancel_job = client_module("api.jobs.cancel_job")
    body = models.JobCancelRequest(status=models.JobCancelStatus.CANCELED)
    with django_db_blocker.unblock():
        completed = Job.objects.filter(status="COMPLETED").values_list("id", flat=True).first()
        queued = Job.objects.filter(status="QUEUED").values_list("id", flat=True).first()
    cases = [
        (list_jobs.sync_detailed(client=anonymous(base_url), page_size=0), 400,
         "page_size: must be a whole number from 1 to 1000, not 0."),
        (list_jobs.sync_detailed(client=anonymous(base_url), page=999), 404,
         "page: 999 is past the last page (1)."),
        (list_jobs.sync_detailed(client=anonymous(base_url), started="PT1H",
                                 ended="2015-01-01T00:00:00Z"), 400,
         "started: must not be after ended."),
        (get_job.sync_detailed(987654321, client=anonymous(base_url)), 404,
         "job 987654321 was not found."),
        (cancel_job.sync_detailed(queued, client=with_token(base_url, "0" * 40), body=body),
         401, "Invalid token."),
        (cancel_job.sync_detailed(queued, client=with_token(base_url, tokens["reader"]),
                                  body=body), 403,
         "You do not have permission to perform this action."),
        (cancel_job.sync_detailed(completed, client=with_token(base_url, tokens["operator"]),
                                  body=body), 409, None),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.content
        assert isinstance(response.parsed, models.ErrorDetail), response.parsed
        if message:
            assert response.parsed.detail == message
    assert "COMPLETED" in cases[-1][0].parsed.detail
    # The plain call gives the typed error itself, the status being in the *_detailed form.
    error = get_job.sync(987654321, client=anonymous(base_url))
    assert isinstance(error, models.ErrorDetail)
