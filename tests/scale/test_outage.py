"""While the database is unreachable the API answers 503, and comes back by itself.

The service runs as ``make run`` runs it (``python -m scale.serve``: gunicorn and the
supervisor of the embedded server), on a server of its own (``throwaway_service``), under
a steady read load. The server is stopped, then killed with SIGKILL; the supervisor starts
it again each time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

from scale.embedded_pg import running_socket_dir, stop_server
from tests.served import BASE_DIR, free_port, postmaster_pid, request, wait_for

CLIENTS = 4
UNAVAILABLE = "The database is unavailable; try again shortly."


def test_database_outages_are_503_with_retry_after_and_the_service_recovers(
    throwaway_service, tmp_path
):
    pgdata, env, _token = throwaway_service
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "scale.serve", "--pgdata", str(pgdata)], cwd=BASE_DIR,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2",
                 "GUNICORN_ACCESS_LOG": "/dev/null"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    answers: list[tuple[int, dict[str, str], bytes, bool]] = []
    stop = threading.Event()

    def read_jobs(as_json: bool) -> None:
        headers = {"Accept": "application/json"} if as_json else {}
        while not stop.is_set() and len(answers) < 200_000:
            try:
                status, response_headers, body = request(
                    port, "GET", "/jobs/?page_size=5", headers=headers, timeout=20)
            except OSError:
                status, response_headers, body = 0, {}, b""
            answers.append((status, response_headers, body, as_json))
            time.sleep(0.01)

    def answering() -> bool:
        try:
            return request(port, "GET", "/jobs/?page_size=1", timeout=5)[0] == 200
        except OSError:
            return False

    def refusing() -> bool:
        return any(status == 503 for status, *_ in answers[-CLIENTS * 2:])

    def recovered() -> bool:
        return all(status == 200 for status, *_ in answers[-CLIENTS * 4:])

    try:
        wait_for(answering, timeout=60, message=log_path.read_text())
        clients = [threading.Thread(target=read_jobs, args=(n % 2 == 0,))
                   for n in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(1)
        # A clean stop, then a crash; the supervisor starts the server after each.
        stop_server(pgdata=pgdata)
        wait_for(refusing, timeout=20, message="no 503 while the database was stopped")
        wait_for(lambda: running_socket_dir(pgdata) is not None, timeout=60)
        back_after_stop = wait_for(answering, timeout=10)
        os.kill(postmaster_pid(pgdata), signal.SIGKILL)
        wait_for(refusing, timeout=20, message="no 503 after the postmaster was killed")
        wait_for(lambda: running_socket_dir(pgdata) is not None, timeout=120)
        # After a crash: the supervisor's next check (1 s), crash recovery, then the
        # workers' backoff (at most 4 s), which may have started over (see the log below).
        back_after_kill = wait_for(answering, timeout=20)
        # Every worker answers again, each once its own backoff (at most 4 s) has passed.
        wait_for(recovered, timeout=15, message="a worker still refused after the restart")
        stop.set()
        for client in clients:
            client.join(timeout=30)
    finally:
        stop.set()
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)

    statuses = {status for status, *_ in answers}
    assert statuses == {200, 503}, statuses
    for status, headers, body, as_json in answers:
        if status != 503:
            continue
        assert int(headers["retry-after"]) >= 1
        if as_json:
            assert headers["content-type"] == "application/json"
            assert json.loads(body) == {"detail": UNAVAILABLE}
        else:
            assert headers["content-type"] == "text/plain; charset=utf-8"
            assert body == (UNAVAILABLE + "\n").encode()
    assert answers[-1][0] == 200
    assert back_after_stop < 10 and back_after_kill < 20
    log = log_path.read_text()
    # One line when an outage starts and one when it ends, per worker: never a traceback,
    # never a line per request. A worker may see the crash as two outages: a session whose
    # backend outlived the killed postmaster for a moment answers once in between.
    assert "Traceback" not in log
    outages = log.count("database unreachable:")
    assert 2 <= outages <= 6, log
    assert log.count("database reachable again") == outages, log
    assert log.count("the embedded PostgreSQL is ready again") == 2, log
