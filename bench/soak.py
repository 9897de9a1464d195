"""``make soak``: a long mixed read/cancel load against the service as ``make run`` serves it.

Starts ``python -m scale.serve`` (gunicorn with its gevent workers, and the supervisor of
the embedded server) on a free port of 127.0.0.1, on the database that ``make run`` uses
(``make soak`` loads the demo data into it first when it holds no jobs), and runs
SOAK_CLIENTS (20) clients for SOAK_SECONDS (1800) seconds: list pages of /jobs/,
/jobs/updates/ and /jobs/executions/ with and without filters, job details, and cancels
through an operator's token. Every SOAK_INTERVAL (60) seconds it prints the requests, the
errors (any 5xx, a refused connection, or an answer other than the expected one), p50 and
p99 of that minute, and the resident memory of each gunicorn worker and of PostgreSQL (its
processes' unique memory, so shared buffers count once). Ends with the totals and the
number of worker processes seen (they recycle after max_requests); exits 1 on any error.
SOAK_PORT=N loads a service already listening on 127.0.0.1:N instead (for comparisons;
its workers' memory is then not shown).

Nothing but 127.0.0.1 is contacted; every loop ends at the deadline.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("SOAK_SECONDS", "1800"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "20"))
INTERVAL = float(os.environ.get("SOAK_INTERVAL", "60"))
STATUSES = ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"]


def log(message: str) -> None:
    print(f"[soak] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, check=True, text=True,
        capture_output=True,
    ).stdout


def operator_token() -> str:
    manage("shell", "-v", "0", "-c", (
        "from django.contrib.auth.models import User\n"
        "User.objects.filter(username='soak-operator').exists() or "
        "User.objects.create_superuser('soak-operator', 'soak@example.com', None)\n"
    ))
    return manage("drf_create_token", "soak-operator").split()[2]


def job_ids() -> list[int]:
    out = manage("shell", "-v", "0", "-c", (
        "from job.models import Job\n"
        "print(' '.join(str(i) for i in Job.objects.order_by('?').values_list('id', "
        "flat=True)[:5000]))\n"
    ))
    return [int(value) for value in out.split()]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.total = 0
        self.total_errors = 0
        self.all_latencies: list[float] = []

    def record(self, latency: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.total += 1
            if error:
                self.errors.append(error)
                self.total_errors += 1

    def take(self) -> tuple[list[float], list[str]]:
        with self.lock:
            latencies, self.latencies = self.latencies, []
            errors, self.errors = self.errors, []
            self.all_latencies.extend(latencies)
            return latencies, errors


def client(port: int, token: str, ids: list[int], stats: Stats, deadline: float, seed: int):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        roll = rng.random()
        method, body, headers, expected = "GET", None, {}, {200}
        if roll < 0.45:
            endpoint = rng.choice(["/jobs/", "/jobs/updates/", "/jobs/executions/"])
            query = f"page_size={rng.choice([10, 25, 100])}&page={rng.randint(1, 3)}"
            if rng.random() < 0.5:
                query += f"&status={rng.choice(STATUSES)}"
            path, expected = f"{endpoint}?{query}", {200, 404}
        elif roll < 0.75:
            path = f"/jobs/?page_size=20&started=PT{rng.randint(1, 720)}H&order=-last_modified"
        elif roll < 0.95:
            path, expected = f"/jobs/{rng.choice(ids)}/", {200}
        else:
            method, path = "PATCH", f"/jobs/{rng.choice(ids)}/"
            body, headers, expected = b'{"status": "CANCELED"}', auth, {200, 409}
        started = time.monotonic()
        error = None
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status not in expected:
                error = f"{response.status} {method} {path}"
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__} {method} {path}"
            conn.close()
        stats.record(time.monotonic() - started, error)
    conn.close()


def memory(server: psutil.Process) -> tuple[list[tuple[int, float]], float]:
    """(worker pid, RSS MiB) of each gunicorn worker, and PostgreSQL's unique memory, MiB."""
    workers = []
    for proc in server.children(recursive=True):
        try:
            if "gunicorn" in " ".join(proc.cmdline()) and proc.parent().pid != server.pid:
                workers.append((proc.pid, proc.memory_info().rss / 2**20))
        except psutil.Error:
            continue
    postgres = 0.0
    for proc in psutil.process_iter():
        try:
            if _is_postgres_of(proc):
                postgres += proc.memory_full_info().uss / 2**20
        except psutil.Error:
            continue
    return sorted(workers), postgres


def _is_postgres_of(proc: psutil.Process) -> bool:
    """A process of the embedded server: its postmaster or a child of it."""
    pid_file = ROOT / "var" / "pgdata" / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return proc.pid == postmaster or proc.ppid() == postmaster


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> int:
    # Stopped early (Ctrl-C, kill): the finally below still stops the service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    external = os.environ.get("SOAK_PORT")
    port = int(external) if external else free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port),
           "GUNICORN_ACCESS_LOG": "/dev/null"}
    token = operator_token()
    ids = job_ids()
    if not ids:
        log("the database holds no jobs: run make soak (it loads the demo data)")
        return 1
    out_dir = ROOT / "var" / "soak"
    out_dir.mkdir(parents=True, exist_ok=True)
    server_log = (out_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "scale.serve"] if not external else ["sleep", str(SECONDS + 120)],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log(f"the service did not start; see {out_dir / 'serve.log'}")
                return 1
            time.sleep(0.3)
        log(f"{CLIENTS} clients for {SECONDS:.0f} s against 127.0.0.1:{port}, "
            f"{len(ids)} job ids; server log: {out_dir / 'serve.log'}")
        stats = Stats()
        started = time.monotonic()
        deadline = started + SECONDS
        # Daemon threads: a stopped run (SIGTERM) does not wait for them.
        threads = [threading.Thread(target=client, args=(port, token, ids, stats, deadline, n),
                                    daemon=True)
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        master = psutil.Process(server.pid)
        workers_seen: set[int] = set()
        while time.monotonic() < deadline:
            time.sleep(min(INTERVAL, max(0.0, deadline - time.monotonic())))
            latencies, errors = stats.take()
            workers, postgres = memory(master)
            workers_seen.update(pid for pid, _ in workers)
            rss = " ".join(f"{mib:.0f}" for _, mib in workers)
            log(f"t={time.monotonic() - started:5.0f}s requests={len(latencies)} "
                f"errors={len(errors)} p50={percentile(latencies, 50) * 1000:.1f}ms "
                f"p99={percentile(latencies, 99) * 1000:.1f}ms workers_rss_mib=[{rss}] "
                f"postgres_uss_mib={postgres:.0f}")
            for error in errors[:5]:
                log(f"  error: {error}")
        for thread in threads:
            thread.join(timeout=60)
        stats.take()
        every = stats.all_latencies
        log(f"total requests={stats.total} errors={stats.total_errors} "
            f"p50={percentile(every, 50) * 1000:.1f}ms p99={percentile(every, 99) * 1000:.1f}ms "
            f"worker processes seen={len(workers_seen)}")
        return 1 if stats.total_errors else 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
