"""``/job-executions/{id}/logs/``, as job_execution.rst defines it: streamed, exact."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from job_exe import selectors
from job_exe.models import JobExecution
from tests import factories

pytestmark = pytest.mark.django_db

LOG_KEYS = [
    "id", "status", "command_arguments", "timeout", "pre_started", "pre_completed",
    "pre_exit_code", "job_started", "job_completed", "job_exit_code", "post_started",
    "post_completed", "post_exit_code", "created", "queued", "started", "ended",
    "last_modified", "job", "node", "error", "is_finished", "stdout", "stderr",
]


def _logs(client, execution_id, **headers):
    response = client.get(f"/job-executions/{execution_id}/logs/", **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_logs_are_the_execution_with_stdout_and_stderr(api_client):
    execution = factories.JobExecutionFactory(
        status="COMPLETED", stdout='Execution completed.\n"quoted" \\ tab\t é ✓', stderr="",
    )
    response, body = _logs(api_client, execution.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(body)
    assert list(data) == LOG_KEYS
    assert data["stdout"] == execution.stdout and data["stderr"] == ""
    assert data["is_finished"] is True
    details = api_client.get(f"/job-executions/{execution.pk}/").json()
    assert {k: data[k] for k in LOG_KEYS[:18]} == {k: details[k] for k in LOG_KEYS[:18]}
    assert data["job"]["id"] == execution.job_id
    assert list(data["job"]) == ["id", "job_type", "job_type_rev", "event", "error", "status",
                                 "priority", "num_exes"]


def test_missing_logs_are_empty_strings_and_running_is_not_finished(api_client):
    execution = factories.JobExecutionFactory(status="RUNNING", stdout=None, stderr=None)
    data = json.loads(_logs(api_client, execution.pk)[1])
    assert (data["stdout"], data["stderr"], data["is_finished"]) == ("", "", False)


def test_postgresql_renders_what_plain_drf_renders(api_client):
    from job_exe.serializers import JobExecutionLogsSerializer

    for status in ("QUEUED", "FAILED"):
        execution = factories.JobExecutionFactory(status=status, stdout="x" * 10, stderr=None)
        data = json.loads(_logs(api_client, execution.pk)[1])
        instance = JobExecution.objects.get(pk=execution.pk)
        assert data == json.loads(json.dumps(JobExecutionLogsSerializer(instance).data))


@pytest.mark.parametrize("segment", ["999999", "0", "abc", "1.0", "-1", "9" * 30])
def test_unknown_or_invalid_execution_is_404(api_client, segment):
    response, body = _logs(api_client, segment)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert body.decode().startswith(f"job execution {segment}")
    response = api_client.get(f"/job-executions/{segment}/logs/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and "detail" in response.json()


def test_logs_refuse_writes_and_are_under_v3(api_client):
    execution = factories.JobExecutionFactory(stdout="a", stderr="b")
    assert api_client.post(f"/job-executions/{execution.pk}/logs/").status_code == 405
    assert _logs(api_client, execution.pk)[1] == _logs(api_client, f"{execution.pk}")[1]
    response = api_client.get(f"/v3/job-executions/{execution.pk}/logs/")
    assert json.loads(b"".join(response.streaming_content))["stderr"] == "b"


@pytest.mark.django_db(transaction=True)
def test_a_20_mb_log_streams_in_slices_with_the_queries_it_needs(api_client):
    line = "2026-12-01T12:00:00Z INFO tile 123 of 456 written: \"ok\" ✓\n"
    stdout = line * (20 * 1024 * 1024 // len(line))
    stderr = "warning\n" * 1000
    execution = factories.JobExecutionFactory(stdout=stdout, stderr=stderr)
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(f"/job-executions/{execution.pk}/logs/")
        pieces = list(response.streaming_content)
    data = json.loads(b"".join(pieces))
    assert data["stdout"] == stdout and data["stderr"] == stderr
    slices = -(-len(stdout) // selectors.LOG_CHUNK) + 1
    # BEGIN, SET TRANSACTION, the row with the logs' lengths, one query per slice, COMMIT.
    assert len(captured) == 4 + slices
    # No piece holds more than one slice: the log is never whole in memory.
    assert max(len(piece) for piece in pieces) <= 4 * selectors.LOG_CHUNK
