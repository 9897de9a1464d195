"""``/health/``: 200 while the database answers, 503 when it does not; no auth, no Host or
HTTPS requirement (a load balancer probes each instance by address over plain http)."""

import pytest
from django.db import OperationalError
from django.test import override_settings

from scale import health

pytestmark = pytest.mark.django_db


class _DownConnection:
    """A database connection whose server is gone."""

    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


def test_health_is_200_json_when_the_database_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch, caplog):
    monkeypatch.setattr(health, "connection", _DownConnection())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "the database does not answer: could not connect" in caplog.text


def test_health_head_has_no_body(client):
    response = client.head("/health/")
    assert response.status_code == 200
    assert response.content == b""


def test_health_refuses_other_methods_with_405(client):
    response = client.post("/health/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@override_settings(SCALE_READS_REQUIRE_LOGIN=True)
def test_health_needs_no_authentication(client):
    assert client.get("/jobs/").status_code == 401
    assert client.get("/health/").status_code == 200


def test_health_answers_a_probe_by_address_whatever_allowed_hosts_says(client):
    assert client.get("/jobs/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.get("/health/", HTTP_HOST="10.1.2.3:8000").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_is_not_redirected_to_https(client):
    assert client.get("/jobs/").status_code == 301
    assert client.get("/health/").status_code == 200


def test_only_the_exact_path_is_the_health_check(client):
    assert client.get("/health").status_code in (301, 404)
    assert client.get("/health/extra/").status_code == 404
