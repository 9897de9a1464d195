"""Query counts do not grow with the page or with a job's executions, files and recipes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

# Without a test transaction around them, the requests run as served: in their own
# read-only snapshot.
pytestmark = pytest.mark.django_db(transaction=True)

SNAPSHOT = ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"]
LIST_URLS = ["/jobs/", "/jobs/updates/", "/jobs/executions/"]


def _job_with_parts(executions: int, files: int, recipes: int):
    job = factories.JobFactory(error=factories.ErrorFactory())
    sources = [factories.ScaleFileFactory() for _ in range(files)]
    job.data = {"version": "1.0", "input_data": [{"name": "input_file",
                                                  "file_ids": [f.id for f in sources]}]}
    job.save()
    for source in sources:
        factories.JobInputFileFactory(job=job, input_file=source)
    for _ in range(executions):
        factories.JobExecutionFactory(job=job, stdout="x" * 1000, stderr="y" * 1000)
    for _ in range(recipes):
        factories.RecipeJobFactory(job=job)
    return job


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 1000})
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("url", LIST_URLS)
def test_a_list_is_one_statement_whatever_its_rows(api_client, url):
    # The page's ids (index-only), the JSON of those rows, each with its nested objects
    # and what the row adds (input files, the newest execution), and the count (from
    # job_count here: no filter), all built by PostgreSQL in one statement, which is
    # its own snapshot: no transaction around it.
    _job_with_parts(executions=1, files=1, recipes=0)
    one_row = _queries(api_client, url)
    for _ in range(25):
        _job_with_parts(executions=3, files=2, recipes=1)
    many_rows = _queries(api_client, url)
    assert len(one_row) == len(many_rows) == 1
    assert '"job_count"' in many_rows[0]


def test_details_query_count_does_not_grow_with_parts(api_client):
    small = _job_with_parts(executions=1, files=1, recipes=1)
    big = _job_with_parts(executions=4, files=6, recipes=3)
    # The snapshot (three statements); the job's JSON with its full nested objects,
    # recipes and executions, built by PostgreSQL; then the files its data and results
    # reference, as inputs and outputs show them.
    for job in (small, big):
        queries = _queries(api_client, f"/jobs/{job.id}/")
        assert len(queries) == 5
        assert queries[:2] == SNAPSHOT and queries[-1] == "COMMIT"


@pytest.mark.parametrize("url", [*LIST_URLS, "details"])
def test_execution_logs_are_never_loaded(api_client, url):
    job = _job_with_parts(executions=2, files=1, recipes=1)
    path = f"/jobs/{job.id}/" if url == "details" else url
    for sql in _queries(api_client, path):
        assert '"stdout"' not in sql and '"stderr"' not in sql, sql
