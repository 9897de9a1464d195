"""A cancel answered 200 survives a crash of PostgreSQL.

Real HTTP against gunicorn in a child process, on an embedded server of its own (the
``throwaway_service`` fixture), whose postmaster is killed with SIGKILL while concurrent
clients cancel jobs. After the server has been started again (crash recovery included),
every job whose cancel was acknowledged is CANCELED.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import psycopg2

from scale.embedded_pg import restart_server
from tests.served import gunicorn, postmaster_pid, request, wait_for

CANCELABLE = ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED"]
CLIENTS = 8


def _cancelable_ids(socket_dir: str) -> list[int]:
    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="scale")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT id FROM job WHERE status = ANY(%s) ORDER BY id", [CANCELABLE])
            return [row[0] for row in cursor]
    finally:
        conn.close()


def _statuses(socket_dir: str, ids: list[int]) -> dict[int, str]:
    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="scale")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT id, status FROM job WHERE id = ANY(%s)", [ids])
            return dict(cursor.fetchall())
    finally:
        conn.close()


def test_every_cancel_answered_200_is_canceled_after_the_postmaster_is_killed(
    throwaway_service, tmp_path
):
    pgdata, env, token = throwaway_service
    socket_dir = restart_server(pgdata=pgdata)
    ids = _cancelable_ids(socket_dir)
    assert len(ids) > 60
    acknowledged: list[int] = []
    answers: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
               "Accept": "application/json"}

    def cancel_some(mine: list[int]) -> None:
        for job_id in mine:
            if stop.is_set():
                return
            try:
                status, _, body = request(env_port, "PATCH", f"/jobs/{job_id}/",
                                          body=b'{"status": "CANCELED"}', headers=headers)
            except OSError:
                status = 0
            with lock:
                answers.append(status)
                if status == 200:
                    assert b'"status":"CANCELED"' in body.replace(b" ", b"")
                    acknowledged.append(job_id)

    with gunicorn(env, log_path=tmp_path / "gunicorn.log") as env_port:
        threads = [threading.Thread(target=cancel_some, args=(ids[n::CLIENTS],))
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        # Kill while cancels are in flight: after a fifth of them were answered.
        wait_for(lambda: len(answers) >= len(ids) // 5, timeout=60)
        os.kill(postmaster_pid(pgdata), signal.SIGKILL)
        killed_after = len(acknowledged)
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        socket_dir = restart_server(pgdata=pgdata)
        # The API answers again within seconds of the database being ready.
        wait_for(lambda: request(env_port, "GET", "/jobs/?page_size=1")[0] == 200, timeout=10,
                 message="the API did not answer within 10 s of the database being ready")

    assert killed_after >= len(ids) // 10
    statuses = _statuses(socket_dir, acknowledged)
    lost = sorted(job_id for job_id in acknowledged if statuses[job_id] != "CANCELED")
    assert lost == []
    # While the server was down, cancels were refused, never acknowledged: 503, not 500.
    assert 500 not in answers
