"""Checks the API test files share."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def without_tokens(link: str | None) -> str | None:
    """A page link without the ``after``/``before`` token that seeks its page by key
    (scale.api.seek; tests/job/test_api_deep_pages.py checks them), the rest as written."""
    if link is None:
        return None
    parts = urlsplit(link)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name not in ("after", "before")]
    return urlunsplit(parts._replace(query=urlencode(kept)))
