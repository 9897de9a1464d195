"""Schema-driven fuzzing of the live service: ``make fuzz``.

Runs schemathesis against gunicorn serving the project on 127.0.0.1, on a throwaway
database ``scale_fuzz`` of the embedded PostgreSQL (dropped and recreated each run, then
migrated and filled by ``generate_demo_data`` with a fixed seed and clock). Every
operation of ``/api/schema/`` is exercised three times: anonymously, with the token of a
user who may cancel, queue and requeue jobs (``job.change_job``, ``job.queue_job``,
``job.requeue_job``), and with the token of a user who may not. The token runs cancel,
queue and requeue demo jobs: that is what the throwaway database is for.

Any 5xx, any response that breaks the schema (status, content type, body), and any
other schemathesis check that fails makes the run exit non-zero. The number of examples
per operation is bounded (``--max-examples``, ``FUZZ_MAX_EXAMPLES``), and so is the time.
Nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from scale.embedded_pg import ensure_server  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
DATABASE = "scale_fuzz"
OUT_DIR = BASE_DIR / "var" / "fuzz"
# Fixed so that two runs see identical rows (generate_demo_data --now).
DEMO_NOW = "2026-01-05T12:00:00Z"

# Which checks run is schemathesis.toml's to say: every one, but the one it turns off and
# says why (a --checks option here would override it).
# A safety net only: --max-examples bounds each run to a few minutes at most.
RUN_TIMEOUT = 600


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def run(args: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    result = subprocess.run(
        args, env=env, cwd=BASE_DIR, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def recreate_database() -> str:
    """Drop and create ``scale_fuzz`` on the embedded server; its DATABASE_URL."""
    import psycopg2
    from psycopg2 import sql

    socket_dir = ensure_server(pgdata=BASE_DIR / "var" / "pgdata", database=None)
    conn = psycopg2.connect(host=socket_dir, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            name = sql.Identifier(DATABASE)
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        conn.close()
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE}"


def prepare_data(env: dict[str, str], jobs: int) -> dict[str, str]:
    """Migrate, load the demo data, create the two users; their tokens by role."""
    manage = [PYTHON, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v", "0"], env)
    run(
        [*manage, "generate_demo_data", "--jobs", str(jobs), "--seed", "7", "--now", DEMO_NOW,
         "--if-empty", "-v", "0"],
        env,
    )
    users = (
        "from django.contrib.auth.models import Permission, User\n"
        "operator = User.objects.create_user('fuzz-operator')\n"
        "operator.user_permissions.add(*Permission.objects.filter(\n"
        "    codename__in=['change_job', 'queue_job', 'requeue_job'],\n"
        "    content_type__app_label='job'))\n"
        "User.objects.create_user('fuzz-reader')\n"
    )
    run([*manage, "shell", "-c", users], env)
    tokens = {}
    for role in ("operator", "reader"):
        output = run([*manage, "drf_create_token", f"fuzz-{role}"], env, capture=True)
        # "Generated token <key> for user <name>"
        tokens[role] = output.split()[2]
    return tokens


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    server_env = {
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": str(OUT_DIR / "access.log"),
    }
    (OUT_DIR / "access.log").unlink(missing_ok=True)  # gunicorn appends: one run per file
    log_file = log_path.open("w")
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        env=server_env, cwd=BASE_DIR, stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
    )


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wait_until_healthy(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base_url}/health/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{base_url}/health/ did not answer 200 within {timeout:.0f}s")


def schemathesis(
    base_url: str, name: str, *, max_examples: int, seed: int, headers: list[str]
) -> int:
    """One schemathesis run over every operation; its exit code."""
    args = [
        str(VENV_BIN / "schemathesis"),
        "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
        "run", f"{base_url}/api/schema/",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--generation-database", "none",
        "--request-timeout", "30",
        # One worker: hypothesis parses lambdas' source with ast.parse, which CPython
        # 3.11 (before 3.11.8) can break when two threads do it at once ("SystemError:
        # AST constructor recursion depth mismatch"), failing a run that found nothing.
        "--workers", "1",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(OUT_DIR / f"junit-{name}.xml"),
    ]
    for header in headers:
        args += ["-H", header]
    shown = " ".join("'Authorization: Token ***'" if "Token" in a else a for a in args)
    log(f"schemathesis, {name}: {shown}")
    full_log = OUT_DIR / f"schemathesis-{name}.log"
    try:
        result = subprocess.run(
            args, cwd=BASE_DIR, check=False, text=True, encoding="utf-8", errors="replace",
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else ""
        full_log.write_text(output or "", encoding="utf-8")
        log(f"schemathesis, {name}: still running after {RUN_TIMEOUT} s; stopped")
        return 124
    full_log.write_text(result.stdout, encoding="utf-8")
    # A failing case can carry a query string of many kilobytes: lines are cut here, the
    # whole output is in the log file.
    for line in result.stdout.splitlines():
        print(line if len(line) <= 300 else f"{line[:300]}... (see {full_log.name})")
    cases = re.search(r"^\s*(\d+ generated, .*)$", result.stdout, flags=re.MULTILINE)
    log(f"schemathesis, {name}: exit {result.returncode}; test cases: "
        f"{cases.group(1) if cases else 'unknown'}")
    return result.returncode


# The hostile probes of issue 11, sent as raw HTTP: each must be answered, with a 4xx (or
# the status given), never a 5xx. (method, path, headers, body, expected status)
def hostile_probes(token: str) -> list[tuple[str, str, dict[str, str], bytes, int]]:
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    probes = [
        ("GET", "/jobs/?started=PT", {}, b"", 400),
        ("GET", "/jobs/?ended=P", {}, b"", 400),
        ("GET", "/jobs/?job_type_id=%EF%BC%91%EF%BC%92", {}, b"", 400),  # full-width 12
        ("GET", "/jobs/executions/?page=%D9%A1", {}, b"", 400),  # Arabic-Indic 1
        ("GET", "/jobs/updates/?page_size=%E0%A5%A7", {}, b"", 400),  # Devanagari 1
        ("GET", "/jobs/?job_id=%F0%9D%9F%8F", {}, b"", 400),  # mathematical bold 1
        ("PATCH", "/jobs/1/", {**auth, "Authorization": f"Token  {token}"},
         b'{"status": "CANCELED"}', 401),
        ("PATCH", "/jobs/1/", {**auth, "Authorization": f"Token\t{token}"},
         b'{"status": "CANCELED"}', 401),
        ("GET", "/jobs/?page_size=1", {"Host": "localhost:9999"}, b"", 400),
        # A body announced over the 2.5 MB limit: answered 413 unread (only its start is
        # sent, as the server closes the connection after answering).
        ("PATCH", "/jobs/1/", {**auth, "Content-Length": "2700000"}, b'{"status": "' + b" " * 65536,
         413),
    ]
    for path in ("/jobs/", "/jobs/1/", "/jobs/updates/", "/jobs/executions/", "/v3/jobs/",
                 "/api/schema/", "/api/docs/", "/admin/", "/admin/login/", "/health/"):
        probes.append(("OPTIONS", path, {}, b"", 0))
    return probes


def probe(base_url: str, token: str) -> int:
    """Send every hostile probe; the number that failed (a 5xx or an unexpected status)."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(base_url)
    failures = 0
    for method, path, headers, body, expected in hostile_probes(token):
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host="Host" in headers)
            for name, value in headers.items():
                conn.putheader(name, value)
            if "Content-Length" not in headers:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            status = conn.getresponse().status
        finally:
            conn.close()
        ok = status < 500 and (status == expected if expected else True)
        failures += not ok
        log(f"probe {method} {path[:60]} -> {status}" + ("" if ok else f" (expected {expected})"))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")),
        help="test cases per operation and phase (default 25, or FUZZ_MAX_EXAMPLES)",
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "7")))
    parser.add_argument("--jobs", type=int, default=300, help="demo jobs to load (default 300)")
    options = parser.parse_args()

    # A stopped run (CI's timeout, kill) still stops its gunicorn: the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="scale.settings",
        DJANGO_DEBUG="0",
        SCALE_READS_REQUIRE_LOGIN="0",
        # schemathesis sends wrong credentials on purpose (its ignored_auth check): the
        # lockout of failed authentications would turn its later requests into 429s.
        SCALE_LOGIN_FAILURE_LIMIT="1000000",
    )
    log(f"recreating database {DATABASE} on the embedded server")
    env["DATABASE_URL"] = recreate_database()
    log(f"migrating and loading {options.jobs} demo jobs")
    tokens = prepare_data(env, options.jobs)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env, port, OUT_DIR / "gunicorn.log")
    try:
        wait_until_healthy(base_url, server)
        log(f"gunicorn answers on {base_url} (log: {OUT_DIR / 'gunicorn.log'})")
        runs = {
            "anonymous": [],
            "operator-token": [f"Authorization: Token {tokens['operator']}"],
            "reader-token": [f"Authorization: Token {tokens['reader']}"],
        }
        failed = []
        for name, headers in runs.items():
            code = schemathesis(
                base_url, name, max_examples=options.max_examples, seed=options.seed,
                headers=headers,
            )
            if code != 0:
                failed.append(f"{name} (exit {code})")
        runs["hostile-probes"] = []
        if probe(base_url, tokens["operator"]):
            failed.append("hostile-probes")
    finally:
        stop_gunicorn(server)
    if failed:
        log(f"FAILED: {', '.join(failed)}; reports in {OUT_DIR}")
    else:
        log(f"all runs passed; reports in {OUT_DIR}")
    # The closing line counts schemathesis runs, as test runners count tests.
    print(f"fuzz: {len(runs) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
