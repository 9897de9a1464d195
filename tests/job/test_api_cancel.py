"""PATCH /jobs/{id}/ cancels a job: the status matrix, validation, access, concurrency."""

import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from job.models import Job
from job_exe.models import JobExecution
from tests import factories
from tests.job.conftest import T0, set_times

TEXT = "text/plain; charset=utf-8"
CANCEL = {"status": "CANCELED"}


def _patch(client, job_id, body, **extra):
    return client.patch(
        f"/jobs/{job_id}/", data=json.dumps(body), content_type="application/json", **extra
    )


@pytest.fixture
def client(api_client, operator_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {operator_token}")
    return api_client


@pytest.fixture
def failed_job(db):
    error = factories.ErrorFactory()
    job = factories.JobFactory(status=Job.Status.FAILED, error=error)
    return set_times(job, last_modified=T0, last_status_change=T0, ended=T0)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED"])
def test_cancel_of_an_unfinished_or_failed_job(client, status):
    job = factories.JobFactory(status=status, error=factories.ErrorFactory())
    set_times(job, last_modified=T0, last_status_change=T0)
    running = factories.JobExecutionFactory(job=job, status="RUNNING")
    failed = factories.JobExecutionFactory(job=job, status="FAILED")
    set_times(job, last_modified=T0, last_status_change=T0)

    response = _patch(client, job.id, CANCEL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    job.refresh_from_db()
    assert job.status == "CANCELED"
    assert job.error_id is None
    assert job.ended is not None and job.ended > T0 + timedelta(days=365)
    assert job.last_status_change == job.ended
    assert job.last_modified >= job.ended
    # The answer is the job's details after the change.
    assert body["id"] == job.id
    assert body["status"] == "CANCELED"
    assert body["error"] is None
    assert "job_exes" in body and "inputs" in body
    assert {e["id"]: e["status"] for e in body["job_exes"]} == {
        running.id: "CANCELED", failed.id: "FAILED",
    }
    running.refresh_from_db()
    assert running.status == "CANCELED"
    assert running.ended == job.ended


@pytest.mark.django_db
def test_cancel_of_a_canceled_job_changes_nothing(client):
    job = factories.JobFactory(status="CANCELED")
    job = set_times(job, last_modified=T0, last_status_change=T0, ended=T0)
    response = _patch(client, job.id, CANCEL)
    assert response.status_code == 200
    assert response.json()["last_modified"] == "2015-08-28T17:55:41.005Z"
    job.refresh_from_db()
    assert (job.status, job.ended, job.last_modified) == ("CANCELED", T0, T0)


@pytest.mark.django_db
def test_cancel_of_a_completed_job_is_409(client):
    job = factories.JobFactory(status="COMPLETED")
    set_times(job, last_modified=T0)
    response = _patch(client, job.id, CANCEL)
    assert (response.status_code, response["Content-Type"]) == (409, TEXT)
    assert response.content == f"job {job.id} is COMPLETED and cannot be canceled.\n".encode()
    job.refresh_from_db()
    assert (job.status, job.last_modified) == ("COMPLETED", T0)


@pytest.mark.django_db
def test_cancel_of_an_unknown_job_is_404(client):
    response = _patch(client, 987654, CANCEL)
    assert (response.status_code, response["Content-Type"]) == (404, TEXT)
    assert response.content == b"job 987654 was not found.\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "CANCELED", "priority": 1, "error": None},
         "unexpected fields: error, priority; only status may be given."),
        ({"priority": 1}, "unexpected fields: priority; only status may be given."),
        ({}, 'no fields were given; send {"status": "CANCELED"}.'),
        ({"status": "RUNNING"}, "status: only CANCELED is allowed, not 'RUNNING'."),
        ({"status": "canceled"}, "status: only CANCELED is allowed, not 'canceled'."),
        ({"status": None}, "status: This field may not be null."),
        ({"status": ["CANCELED"]}, "status: Not a valid string."),
        (["CANCELED"], 'the body must be a JSON object such as {"status": "CANCELED"}.'),
        ("CANCELED", 'the body must be a JSON object such as {"status": "CANCELED"}.'),
    ],
)
def test_bad_cancel_bodies_are_400_and_leave_the_job_alone(client, failed_job, body, message):
    response = _patch(client, failed_job.id, body)
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content.decode() == message + "\n"
    failed_job.refresh_from_db()
    assert (failed_job.status, failed_job.last_modified) == ("FAILED", T0)


@pytest.mark.django_db
def test_malformed_json_and_other_media_types_are_refused(client, failed_job):
    response = client.patch(
        f"/jobs/{failed_job.id}/", data="{not json", content_type="application/json"
    )
    assert (response.status_code, response["Content-Type"]) == (400, TEXT)
    assert response.content.decode().startswith("JSON parse error")
    response = client.patch(f"/jobs/{failed_job.id}/", data="status=CANCELED",
                            content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response["Content-Type"]) == (415, TEXT)
    failed_job.refresh_from_db()
    assert failed_job.status == "FAILED"


@pytest.mark.django_db
def test_anonymous_cancel_is_401_and_changes_nothing(api_client, failed_job):
    response = _patch(api_client, failed_job.id, CANCEL)
    assert (response.status_code, response["Content-Type"]) == (401, TEXT)
    assert response["WWW-Authenticate"] == "Token"
    failed_job.refresh_from_db()
    assert failed_job.status == "FAILED"


@pytest.mark.django_db
def test_cancel_without_the_change_job_permission_is_403(api_client, failed_job):
    user = User.objects.create_user("viewer", password="viewer-pass-123")
    api_client.force_authenticate(user)
    response = _patch(api_client, failed_job.id, CANCEL)
    assert (response.status_code, response["Content-Type"]) == (403, TEXT)
    failed_job.refresh_from_db()
    assert failed_job.status == "FAILED"


@pytest.mark.django_db
def test_bad_token_is_401(api_client, failed_job):
    response = _patch(api_client, failed_job.id, CANCEL, HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response.content == b"Invalid token.\n"


@pytest.mark.django_db
def test_session_cancel_needs_the_csrf_token(operator, failed_job):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(operator)
    response = _patch(client, failed_job.id, CANCEL)
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    failed_job.refresh_from_db()
    assert failed_job.status == "FAILED"

    client.get("/jobs/")  # any page sets no cookie; ask Django for one explicitly
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = _patch(client, failed_job.id, CANCEL, HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert response.status_code == 200
    failed_job.refresh_from_db()
    assert failed_job.status == "CANCELED"


@pytest.mark.django_db
@override_settings(SCALE_READS_REQUIRE_LOGIN=True)
def test_reads_can_be_closed_to_anonymous_clients(api_client, operator_token, failed_job):
    assert api_client.get("/jobs/").status_code == 401
    assert api_client.get(f"/jobs/{failed_job.id}/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {operator_token}")
    assert api_client.get("/jobs/").status_code == 200
    assert api_client.get(f"/jobs/{failed_job.id}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_cancels_all_answer_200_with_one_state(operator_token):
    job = factories.JobFactory(status="RUNNING")
    execution = factories.JobExecutionFactory(job=job, status="RUNNING")
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict]] = []

    def cancel() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {operator_token}")
        barrier.wait()
        try:
            response = _patch(client, job.id, CANCEL)
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in answers] == [200] * 20
    # One write happened: every answer shows the same end time and status change.
    assert {(b["status"], b["ended"], b["last_status_change"]) for _, b in answers} == {
        ("CANCELED", answers[0][1]["ended"], answers[0][1]["ended"])
    }
    job.refresh_from_db()
    execution.refresh_from_db()
    assert job.status == "CANCELED"
    assert (execution.status, execution.ended) == ("CANCELED", job.ended)
    assert JobExecution.objects.filter(job=job).count() == 1
