"""The service as gunicorn.conf.py serves it, against slow, idle and spoofing clients.

Real HTTP on 127.0.0.1 against gunicorn in a child process, on the test database. Every
loop here is bounded in count and time.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.served import clean_environment, database_url, gunicorn, request

# The tests read nothing themselves; the mark makes pytest-django create the test
# database, which the child gunicorn serves.
pytestmark = pytest.mark.django_db

SLOW = 50
IDLE = 50
NORMAL_REQUESTS = 200


@pytest.fixture(scope="module")
def served_env(django_db_setup, django_db_blocker) -> dict[str, str]:
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    return clean_environment(
        DATABASE_URL=database_url(str(params["host"]), params["dbname"]), DJANGO_DEBUG="0",
    )


@pytest.fixture(scope="module")
def served(served_env, tmp_path_factory):
    log = tmp_path_factory.mktemp("served") / "gunicorn.log"
    with gunicorn({**served_env, "SCALE_REQUEST_BODY_TIMEOUT": "2"}, log_path=log) as port:
        yield port, log


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def test_normal_requests_keep_p99_under_1s_with_50_slow_header_and_50_idle_connections(served):
    port, _ = served
    idle = [_connect(port) for _ in range(IDLE)]
    slow = [_connect(port) for _ in range(SLOW)]
    for sock in slow:
        sock.sendall(b"GET /jobs/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    stop = threading.Event()

    def trickle() -> None:
        # One byte of a header per connection every 0.2 s: never a complete request.
        for _ in range(100):
            for sock in slow:
                try:
                    sock.sendall(b"X")
                except OSError:
                    pass
            if stop.wait(0.2):
                return

    trickler = threading.Thread(target=trickle)
    trickler.start()
    latencies = []
    try:
        for _ in range(NORMAL_REQUESTS):
            started = time.monotonic()
            status, _, _ = request(port, "GET", "/jobs/?page_size=1", timeout=10)
            latencies.append(time.monotonic() - started)
            assert status == 200
    finally:
        stop.set()
        trickler.join()
        for sock in idle + slow:
            sock.close()
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 1.0, f"p99 {p99:.3f} s"


def test_partial_request_headers_are_dropped_after_the_keepalive_timeout(served):
    port, _ = served
    with _connect(port) as sock:
        sock.sendall(b"GET /jobs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        sock.settimeout(15)
        assert sock.recv(1024) == b""  # closed, without an answer
        waited = time.monotonic() - started
    assert 4 <= waited <= 8, waited


def test_partial_request_body_is_answered_408_after_the_read_timeout(served):
    port, _ = served
    with _connect(port) as sock:
        sock.sendall(
            b"PATCH /jobs/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"status\":"
        )
        started = time.monotonic()
        sock.settimeout(15)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        waited = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert body == b"Request Timeout: the request body did not arrive within 2 s\n"
    assert 1.5 <= waited <= 5, waited


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_upload_limit_is_413_and_the_connection_is_closed(served):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    port, _ = served
    user = User.objects.create_superuser("big-body", "big@example.com", "x")
    token = Token.objects.create(user=user).key.encode()
    with _connect(port) as sock:
        sock.sendall(
            b"PATCH /jobs/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Authorization: Token " + token + b"\r\n"
            b"Content-Length: 3000000\r\n\r\n" + b" " * 1000
        )
        sock.settimeout(15)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert body == b"The request body is larger than 2621440 bytes.\n"


def test_x_forwarded_proto_from_127_0_0_1_is_ignored_without_the_proxy_setting(
    served_env, tmp_path
):
    env = {**served_env, "DJANGO_SECURE_SSL_REDIRECT": "1", "DJANGO_SECURE_PROXY_SSL_HEADER": "0"}
    with gunicorn(env, log_path=tmp_path / "gunicorn.log", workers=1) as port:
        status, headers, _ = request(port, "GET", "/jobs/", headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"})
        assert (status, headers["location"]) == (301, f"https://127.0.0.1:{port}/jobs/")
    env["DJANGO_SECURE_PROXY_SSL_HEADER"] = "1"
    with gunicorn(env, log_path=tmp_path / "gunicorn-proxy.log", workers=1) as port:
        status, _, _ = request(port, "GET", "/jobs/", headers={"X-Forwarded-Proto": "https"})
        assert status == 200


def test_gunicorn_opens_no_control_socket_unless_one_is_named(served_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**served_env, "HOME": str(home)}
    env.pop("XDG_RUNTIME_DIR", None)
    with gunicorn(env, log_path=tmp_path / "default.log", workers=1):
        pass
    assert list(home.rglob("*.ctl")) == []
    named = tmp_path / "instance.ctl"
    with gunicorn({**env, "GUNICORN_CONTROL_SOCKET": str(named)},
                  log_path=tmp_path / "named.log", workers=1):
        assert Path(named).is_socket()
