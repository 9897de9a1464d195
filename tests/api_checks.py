"""Checks the API test files share."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def statements(client, path: str, **params) -> list[str]:
    """The SQL of every statement that a GET of ``path`` (1000 rows a page, and
    ``params``) runs; the answer must be a 200."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, {"page_size": 1000, **params}).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def statement_count(client, path: str, **params) -> int:
    """How many statements a GET of ``path`` runs (``statements``)."""
    return len(statements(client, path, **params))
