"""The service as it is served: gunicorn with gunicorn.conf.py in a child process, and
throwaway embedded PostgreSQL servers for the tests that kill or stop theirs.

Everything here talks to 127.0.0.1 or a Unix socket only.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without the project's settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SCALE_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(socket_dir: str, database: str) -> str:
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"


def request(
    port: int, method: str, path: str, *, body: bytes | None = None, timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection: status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def gunicorn(env: dict[str, str], *, log_path: Path, workers: int = 2) -> Iterator[int]:
    """gunicorn -c gunicorn.conf.py on a free port of 127.0.0.1, answering /health/; the port.

    Stopped (the whole process group) on the way out; its log is ``log_path``.
    """
    port = free_port()
    server_env = {
        **env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py"], cwd=BASE_DIR, env=server_env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                if request(port, "GET", "/health/", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer: {log_path.read_text()}"
            time.sleep(0.2)
        yield port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def wait_for(condition, *, timeout: float, interval: float = 0.1, message: str = "") -> float:
    """Poll ``condition()`` until true; the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, message or f"not true after {timeout} s"
        time.sleep(interval)
    return time.monotonic() - start
