"""Benchmark of the job API against its PostgreSQL floor (``make bench``).

For a database of ``BENCH_JOBS`` jobs (default 1,000,000; loaded once by
``generate_demo_data`` and reused), it starts the service under gunicorn as in
production and measures, for every read, the API's latency percentiles, the floor (the
same JSON produced by PostgreSQL alone, see ``bench/floors.py``) and the fixed cost of a
trivial DRF endpoint; then the cheapest ORM read (that endpoint plus one ORM statement)
against the statement's SQL alone, cancel against a details read, 1000-row pages against
100-row pages, a mixed read load from 8 clients, and every read on ``BENCH_SMALL_JOBS``
jobs (default 100,000) against the same read on ``BENCH_JOBS``. Whatever is compared is
measured taking turns, request by request (``time_calls``).
Before anything is timed, each floor's body is checked against the API's for the same
request (parsed: values, key order and number types; ``bench/compare.py``): one line per
read, and exit status 1 with the first differing path if any differs.
It prints one table and writes it, with the machine, to ``bench/out/latest-<jobs>.md``;
``bench/RESULTS.md`` keeps the runs worth comparing.

Environment: BENCH_JOBS, BENCH_SMALL_JOBS (0 skips the size comparison), BENCH_REQUESTS
(per read, default 200), BENCH_SECONDS (mixed load, default 20), DATABASE_URL (a server
to use instead of the embedded one; databases named scale_bench_<jobs> are created there).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floors  # noqa: E402
from bench.compare import first_difference, parse  # noqa: E402

PYTHON = sys.executable
BENCH_JOBS = int(os.environ.get("BENCH_JOBS", "1000000"))
BENCH_SMALL_JOBS = int(os.environ.get("BENCH_SMALL_JOBS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
MIXED_SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARMUP = 10
PING = "/_bench/ping/"  # the trivial DRF endpoint: the fixed cost of any request
# The trivial endpoint plus one ORM statement, and that statement's SQL: the ORM's own cost
ONE_STATEMENT = "/_bench/one-statement/"
ONE_STATEMENT_SQL = "SELECT id FROM workspace ORDER BY id LIMIT 1"


# ----------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Server:
    host: str
    port: int | None
    user: str
    password: str

    def url(self, database: str) -> str:
        auth = quote(self.user) + (f":{quote(self.password)}" if self.password else "")
        port = f":{self.port}" if self.port else ""
        return f"postgres://{auth}@{quote(self.host, safe='')}{port}/{database}"

    def connect(self, database: str):
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=database,
        )

    def recreate(self, database: str) -> str:
        """``database`` dropped, created empty and migrated; its URL."""
        with closing(self.connect("postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{database}"')
        url = self.url(database)
        manage("migrate", "--noinput", "-v", "0", database_url=url)
        return url


def database_server() -> Server:
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        host_part = parts.netloc.rpartition("@")[2]
        if host_part.lower().startswith("%2f"):  # a socket directory, percent-encoded
            host = unquote(host_part)
        return Server(host, parts.port, unquote(parts.username or "postgres"),
                      unquote(parts.password or ""))
    from scale.embedded_pg import ensure_server

    socket_dir = ensure_server(pgdata=ROOT / "var" / "pgdata", database=None)
    return Server(socket_dir, None, "postgres", "")


def manage(*args: str, database_url: str) -> None:
    env = os.environ | {"DATABASE_URL": database_url}
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_database(server: Server, jobs: int) -> tuple[str, dict]:
    """Reuse ``scale_bench_<jobs>`` when it was fully loaded before; else build it."""
    name = f"scale_bench_{jobs}"
    with closing(server.connect("postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = %s", [name])
            row = cursor.fetchone()
            meta = json.loads(row[0]) if row and row[0] else None
            if meta and meta.get("jobs") == jobs:
                print(f"reusing {name} (loaded {meta['loaded_at']}, "
                      f"{meta['load_seconds']:.0f} s)", flush=True)
                manage("migrate", "--noinput", "-v", "0", database_url=server.url(name))
                return name, meta
    url = server.recreate(name)
    print(f"loading {jobs:,} jobs into {name} ...", flush=True)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    started = time.perf_counter()
    manage("generate_demo_data", "--jobs", str(jobs), "--seed", "1", "--now", now,
           database_url=url)
    load_seconds = time.perf_counter() - started
    with closing(server.connect(name)) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            # Index-only scans need the visibility map that VACUUM writes.
            cursor.execute("VACUUM ANALYZE")
    meta = {"jobs": jobs, "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_seconds": load_seconds, "now": now}
    with closing(server.connect("postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(meta)])
    print(f"loaded {jobs:,} jobs in {load_seconds:.0f} s", flush=True)
    return name, meta


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str):
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    process = subprocess.Popen(
        # Without its control socket: the size comparison runs two instances at once, and
        # both would take the same default path.
        [str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "--no-control-socket"],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, PING)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


# ----------------------------------------------------------------------------- clients


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get(port: int, path: str) -> tuple[int, bytes]:
    return request(port, "GET", path)


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "p99": cuts[98]}


def time_calls(*calls, count: int) -> list[list[float]]:
    """Each call's times in ms, ``count`` of each after a warm-up. With several calls they
    take turns (a, b, a, b...), so all of them meet the machine in the same state: on a
    shared host its speed drifts over seconds. Measured one after the other, the same
    floor took 10.2 ms in one run and 5.9 ms in the next."""
    for _ in range(WARMUP):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(count):
        for call, times in zip(calls, samples, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return samples


def api_call(port: int, path: str):
    status, body = get(port, path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")

    def call():
        code, _ = get(port, path)
        if code != 200:
            raise RuntimeError(f"{path} answered {code}")

    return call


def measure_api(port: int, path: str) -> dict[str, float]:
    return percentiles(time_calls(api_call(port, path), count=REQUESTS)[0])


def measure_read(
    port: int, path: str, conn, sql: str, params: tuple
) -> tuple[dict, dict, dict]:
    """The API's percentiles, its floor's and the fixed cost's (the trivial endpoint),
    the three calls taking turns: the fixed cost is the one of the same moments."""
    with conn.cursor() as cursor:
        def floor():
            cursor.execute(sql, params)
            cursor.fetchone()

        api, floor, fixed = time_calls(
            api_call(port, path), floor, api_call(port, PING), count=REQUESTS
        )
        return percentiles(api), percentiles(floor), percentiles(fixed)


# ----------------------------------------------------------------------------- the run


def floor_body(conn, sql: str, params: tuple) -> str:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def check_floor(port: int, conn, read: Read, *, attempts: int = 5) -> tuple[str | None, int]:
    """Where the floor's JSON body first differs from the API's for the same request (None
    when they are equal: same values, key order and number types; bench/compare.py), and
    the attempt that decided. Job type details count the jobs of the last hours by the
    wall clock, so jobs leave a window between the reads: the floor runs before and after
    the API's request, and a count between its two answers is right
    (``first_difference``'s ``later``); a difference counts only when it is there on every
    one of ``attempts`` tries."""
    difference = None
    for attempt in range(1, attempts + 1):
        before = parse(floor_body(conn, *read.floor))
        status, api = get(port, read.path)
        if status != 200:
            return f"the API answered {status}: {api[:300]!r}", attempt
        after = parse(floor_body(conn, *read.floor))
        difference = first_difference(parse(api), before, later=after)
        if difference is None:
            return None, attempt
    return difference, attempts



@dataclass
class Read:
    name: str
    path: str
    floor: tuple[str, tuple]


def sample_values(conn, meta: dict) -> dict:
    """Filter values that select realistic pages of the benchmark database.

    The time windows end at the data's own "now" (generate_demo_data --now), not at
    the wall clock nor at the newest change, which earlier cancel runs move.
    """
    with conn.cursor() as cursor:
        cursor.execute("SELECT max(last_modified), count(*) FROM job")
        newest, jobs = cursor.fetchone()
        if meta.get("now"):
            newest = datetime.fromisoformat(meta["now"])
        cursor.execute("""SELECT job_type_id, count(*) FROM job GROUP BY 1
                          ORDER BY 2 DESC, 1 LIMIT 1""")
        job_type_id = cursor.fetchone()[0]
        cursor.execute("SELECT name, category FROM job_type WHERE id = %s", [job_type_id])
        job_type_name, category = cursor.fetchone()
        cursor.execute("""SELECT j.id FROM job j WHERE j.num_exes = 4
                          AND EXISTS (SELECT 1 FROM job_input_file l WHERE l.job_id = j.id)
                          AND j.results <> '{}' ORDER BY j.id LIMIT 1""")
        details_id = cursor.fetchone()[0]
        # An execution with a node and an error: its details show both in full.
        cursor.execute("""SELECT id FROM job_exe WHERE node_id IS NOT NULL
                          AND error_id IS NOT NULL ORDER BY id LIMIT 1""")
        job_exe_id = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM job_type ORDER BY name, version, id")
        job_type_ids = [row[0] for row in cursor.fetchall()]
        # The sort key of the last row before the half-way page (``reads``).
        cursor.execute("SELECT last_modified, id FROM job ORDER BY last_modified, id "
                       "LIMIT 1 OFFSET %s", [max((deep_page(jobs) - 1) * 100 - 1, 0)])
        half_way_key = cursor.fetchone()
    return {"job_type_ids": job_type_ids, "newest": newest, "jobs": jobs,
            "job_type_id": job_type_id, "job_type_name": job_type_name, "category": category,
            "details_id": details_id,
            "job_exe_id": job_exe_id, "half_way_key": half_way_key}


# The names the Scale 3.0.0 UI's Failure Rates page sends (see job.metrics).
UI_FAILURE_RATE_COLUMNS = ("system_error_count", "algorithm_error_count", "data_error_count",
                           "total_count")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_links(base: str, path: str, params: dict, page: int, after: str | None = None,
               before: str | None = None) -> tuple[str, str | None]:
    """The absolute URLs of the next and previous pages, as the API writes them: the
    request's parameters sorted, ``page`` set (or left out for page 1), and the tokens
    that seek them by key: ``after`` on the next link, ``before`` on the previous one
    (but page 1's)."""

    def url(number: int, token: tuple[str, str | None]) -> str:
        query = {key: str(value) for key, value in params.items()
                 if key not in ("page", "after", "before")}
        if number > 1:
            query["page"] = str(number)
            if token[1]:
                query[token[0]] = token[1]
        encoded = urlencode(sorted(query.items()))
        return f"{base}{path}" + (f"?{encoded}" if encoded else "")

    return url(page + 1, ("after", after)), (
        url(page - 1, ("before", before)) if page > 1 else None)


def link_tokens(body: dict) -> tuple[str | None, str | None]:
    """The ``after`` token of a page's next link and the ``before`` of its previous one.

    The floors take them from the API's answer: they are a row's sort key signed with
    the service's secret (``scale.api.seek``), which PostgreSQL alone does not produce;
    what they hold is tested in tests/job/test_api_deep_pages.py. Everything else in
    the links, and the rows they lead to, the floor produces itself."""

    def token(link: str | None, name: str) -> str | None:
        return parse_qs(urlsplit(link).query).get(name, [None])[0] if link else None

    return token(body["next"], "after"), token(body["previous"], "before")


def deep_page(jobs: int) -> int:
    """Page 5000 of 100 rows on a million jobs (half-way); the last page on a smaller
    database."""
    return min(5000, (jobs - 1) // 100 + 1)


def reads(values: dict, base: str, fetch) -> list[Read]:
    """Every read, by the API's path and its floor; ``base`` is the API's address
    (``http://127.0.0.1:<port>``), which the page links of both bodies contain, and
    ``fetch(path)`` the API's parsed answer (``link_tokens``)."""
    newest = values["newest"]
    day = (newest - timedelta(days=1), newest)
    hour_ago = newest - timedelta(hours=1)
    default = "j.last_modified, j.id"
    deep = deep_page(values["jobs"])
    week = (newest - timedelta(days=7), newest)
    month = (newest - timedelta(days=30), newest)

    def jobs(name, params, where="TRUE", order=default, limit=100, offset=0, extras="plain",
             path="/jobs/", args=(), after="", after_args=()):
        query = f"?{urlencode(params)}" if params else ""
        # The API counts through job_count, or job_time_count with a time window
        # (JobCountPaginator).
        counted = "job_id" not in params
        next_url, previous_url = page_links(base, path, params, offset // limit + 1,
                                            *link_tokens(fetch(path + query)))
        sql = floors.job_list(where=where, order=order, limit=limit, offset=offset,
                              extras=extras, params=args, counted=counted,
                              next_url=next_url, previous_url=previous_url, after=after,
                              after_params=after_args)
        return Read(name, path + query, sql)

    def window(name, started, ended=None, keys_where="TRUE", path="/jobs/", extras="plain",
               params=None):
        """A job list windowed on last_modified (the bounds written into the SQL)."""
        query = {**(params or {}), "started": iso(started)}
        where = f"({keys_where}) AND j.last_modified >= {floors.literal(started)}"
        if ended is not None:
            query["ended"] = iso(ended)
            where += f" AND j.last_modified <= {floors.literal(ended)}"
        next_url, previous_url = page_links(base, path, query, 1,
                                            *link_tokens(fetch(f"{path}?{urlencode(query)}")))
        count = floors.window_count(where=where, keys_where=keys_where, started=started,
                                    ended=ended)
        ids = (floors.updates_window_ids(where=where, started=started, limit=100, offset=0)
               if path == "/jobs/updates/" else None)
        sql = floors.job_list(where=where, order=default, limit=100, offset=0, extras=extras,
                              count=count, ids=ids, next_url=next_url,
                              previous_url=previous_url)
        return Read(name, f"{path}?{urlencode(query)}", sql)

    def listing(name, path, floor, query_params, limit=100, offset=0, **options):
        query = f"?{urlencode(query_params)}" if query_params else ""
        next_url, previous_url = page_links(base, path, query_params, offset // limit + 1,
                                            *link_tokens(fetch(path + query)))
        sql = floor(limit=limit, offset=offset, next_url=next_url, previous_url=previous_url,
                    **options)
        return Read(name, path + query, sql)

    # Following next to the half-way page: page deep - 1's next link, as a client has it.
    before_deep = fetch("/jobs/?" + urlencode({"page": deep - 1}))["next"] if deep > 1 else None
    followed = (
        {key: value[0] for key, value in parse_qs(urlsplit(before_deep).query).items()}
        if before_deep else {}
    )

    job_type_id = values["job_type_id"]
    return [
        jobs("/jobs/ default", {}),
        jobs("/jobs/ order=-last_modified", {"order": "-last_modified"},
             order="j.last_modified DESC, j.id"),
        jobs("/jobs/ status=FAILED", {"status": "FAILED"}, where="j.status = 'FAILED'"),
        jobs("/jobs/ job_type_id", {"job_type_id": values["job_type_id"]},
             where="j.job_type_id = %s", args=(values["job_type_id"],)),
        jobs("/jobs/ job_type_name", {"job_type_name": values["job_type_name"]},
             where="j.job_type_id IN (SELECT id FROM job_type WHERE name = %s)",
             args=(values["job_type_name"],)),
        jobs("/jobs/ job_type_category", {"job_type_category": values["category"]},
             where="j.job_type_id IN (SELECT id FROM job_type WHERE category = %s)",
             args=(values["category"],)),
        jobs("/jobs/ error_category=DATA", {"error_category": "DATA"},
             where="j.error_id IN (SELECT id FROM error WHERE category = 'DATA')"),
        window("/jobs/ started/ended last day", *day),
        window("/jobs/ started=1h", hour_ago),
        window("/jobs/ started=1 week", week[0]),
        window("/jobs/ status=FAILED started=1d", day[0], keys_where="j.status = 'FAILED'",
               params={"status": "FAILED"}),
        jobs("/jobs/ page_size=1000", {"page_size": 1000}, limit=1000),
        jobs(f"/jobs/ page={deep}", {"page": deep}, offset=(deep - 1) * 100),
        *([jobs(f"/jobs/ page={deep} following next", followed, offset=(deep - 1) * 100,
                after="(j.last_modified, j.id) > (%s, %s)", after_args=values["half_way_key"])]
          if followed else []),
        Read("/jobs/{id}/ (4 exes, files)", f"/jobs/{values['details_id']}/",
             floors.job_details(job_id=values["details_id"])),
        window("/jobs/updates/ started=1h", hour_ago, path="/jobs/updates/",
               extras="updates"),
        window("/jobs/updates/ started=1d", day[0], path="/jobs/updates/", extras="updates"),
        jobs("/jobs/executions/ default", {}, extras="executions", path="/jobs/executions/"),
        jobs("/jobs/executions/ page_size=1000", {"page_size": 1000}, limit=1000,
             extras="executions", path="/jobs/executions/"),
        listing("/job-types/ default", "/job-types/", floors.job_type_list, {}),
        listing("/job-types/ category", "/job-types/", floors.job_type_list,
                {"category": values["category"]}, where="jt.category = %s",
                params=(values["category"],)),
        Read("/job-types/{id}/", f"/job-types/{job_type_id}/",
             floors.job_type_details(job_type_id=job_type_id)),
        listing("/job-executions/ default", "/job-executions/", floors.job_execution_list, {},
                counted_where="TRUE"),
        listing("/job-executions/ job_type_id", "/job-executions/", floors.job_execution_list,
                {"job_type_id": job_type_id},
                where="x.job_id IN (SELECT j.id FROM job j WHERE j.job_type_id = %s)",
                counted_where="c.job_type_id = %s", params=(job_type_id,)),
        listing("/job-executions/ page_size=1000", "/job-executions/",
                floors.job_execution_list, {"page_size": 1000}, limit=1000,
                counted_where="TRUE"),
        Read("/job-executions/{id}/ (node, error)", f"/job-executions/{values['job_exe_id']}/",
             floors.job_execution_details(job_exe_id=values["job_exe_id"])),
        listing("/workspaces/ default", "/workspaces/", floors.workspace_list, {}),
        # The Overview's chart: a week of hours, ending at the data's "now" (not the
        # wall clock, which would move the answer between the API and its floor).
        listing("/load/ a week", "/load/", floors.job_load,
                {"started": iso(week[0]), "ended": iso(week[1]), "page_size": 1000},
                limit=1000, started=week[0], ended=week[1]),
        Read("/metrics/job-types/plot-data/ Failure Rates (30 days, every job type)",
             "/metrics/job-types/plot-data/?" + urlencode(
                 [("choice_id", pk) for pk in values["job_type_ids"]]
                 + [("column", name) for name in UI_FAILURE_RATE_COLUMNS]
                 + [("started", iso(month[0])), ("ended", iso(month[1]))]),
             floors.metrics_plot_data(first_day=month[0].date(), last_day=month[1].date())),
        Read("/metrics/job-types/plot-data/ run times (30 days, every job type)",
             "/metrics/job-types/plot-data/?" + urlencode(
                 [("choice_id", pk) for pk in values["job_type_ids"]]
                 + [("group", "run_time"), ("started", iso(month[0])),
                    ("ended", iso(month[1]))]),
             floors.metrics_run_times(first_day=month[0].date(), last_day=month[1].date())),
    ]


def compare_sizes(server: Server, small: tuple[str, dict], port: int, big_reads: list[Read],
                  say) -> None:
    """Every read on ``BENCH_JOBS`` jobs against the same read on ``BENCH_SMALL_JOBS``, the
    two taking turns, each on its own gunicorn. The small database's reads are built from
    its own values (ids, windows ending at its own "now"), so the two ask the same
    question; the deep page is page 5000 on the big one and the small one's last page."""
    name, meta = small
    with closing(server.connect(name)) as conn, gunicorn(server.url(name)) as small_port:
        conn.autocommit = True
        small_reads = reads(sample_values(conn, meta), f"http://127.0.0.1:{small_port}",
                            lambda path: json.loads(get(small_port, path)[1]))
        assert [read.name.split("=")[0] for read in small_reads] == [
            read.name.split("=")[0] for read in big_reads], "the two databases' reads differ"
        say(f"| read | p50 on {BENCH_SMALL_JOBS:,} jobs | p50 on {BENCH_JOBS:,} | ratio |")
        say("|---|---:|---:|---:|")
        worst = 0.0
        for big, little in zip(big_reads, small_reads, strict=True):
            on_big, on_small = (
                percentiles(times)["p50"]
                for times in time_calls(api_call(port, big.path),
                                        api_call(small_port, little.path), count=REQUESTS)
            )
            worst = max(worst, on_big / on_small)
            shown = big.name if big.name == little.name else f"{big.name} ({little.name})"
            say(f"| {shown} | {on_small:.1f} | {on_big:.1f} | {on_big / on_small:.2f} |")
        say()
        say(f"worst {BENCH_JOBS:,} / {BENCH_SMALL_JOBS:,} ratio: {worst:.2f} (target ≤ 1.2)")


def operator_token(database_url: str) -> str:
    code = (
        "from django.contrib.auth.models import Permission, User;"
        "from rest_framework.authtoken.models import Token;"
        "u, _ = User.objects.get_or_create(username='bench-operator');"
        "u.user_permissions.add(Permission.objects.get(codename='change_job'));"
        "print(Token.objects.get_or_create(user=u)[0].key)"
    )
    env = os.environ | {"DATABASE_URL": database_url}
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def measure_cancel(port: int, conn, token: str, details_path: str) -> tuple[dict, dict]:
    """PATCH cancel's percentiles and a details read's, the two taking turns."""
    with conn.cursor() as cursor:
        cursor.execute("""SELECT id FROM job WHERE status IN ('QUEUED', 'RUNNING', 'PENDING',
                          'BLOCKED', 'FAILED') ORDER BY id DESC LIMIT %s""",
                       [REQUESTS + WARMUP])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < REQUESTS + WARMUP:
        raise RuntimeError("not enough cancelable jobs left in the bench database")
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    body = b'{"status": "CANCELED"}'
    queue = iter(ids)

    def cancel():
        code, text = request(port, "PATCH", f"/jobs/{next(queue)}/", body, headers)
        if code != 200:
            raise RuntimeError(f"cancel answered {code}: {text[:200]!r}")

    cancels, details = time_calls(cancel, api_call(port, details_path), count=REQUESTS)
    return percentiles(cancels), percentiles(details)


def mixed_load(port: int, paths: list[str], clients: int = 8) -> tuple[float, int, int]:
    stop = time.monotonic() + MIXED_SECONDS
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()

    def client(offset: int):
        i = offset
        while time.monotonic() < stop:
            try:
                code, _ = get(port, paths[i % len(paths)])
                ok = code == 200
            except OSError:
                ok = False
            with lock:
                counts["ok" if ok else "errors"] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return (counts["ok"] + counts["errors"]) / elapsed, counts["ok"], counts["errors"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def main() -> int:
    server = database_server()
    name, meta = prepare_database(server, BENCH_JOBS)
    url = server.url(name)
    small = None  # the size comparison's database, loaded before anything is measured
    if BENCH_SMALL_JOBS:
        small = prepare_database(server, BENCH_SMALL_JOBS)
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    with closing(server.connect(name)) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        values = sample_values(conn, meta)
        token = operator_token(url)
        with gunicorn(url) as port:
            fixed = measure_api(port, PING)
            say(f"# Benchmark: {BENCH_JOBS:,} jobs")
            say()
            say(f"- machine: {machine()}, PostgreSQL {pg_version}")
            say(f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {REQUESTS} requests per read "
                f"after {WARMUP} warm-up, gunicorn {os.cpu_count()} gevent workers")
            say(f"- load: {BENCH_JOBS:,} jobs by generate_demo_data in "
                f"{meta['load_seconds']:.0f} s (at {meta['loaded_at']})")
            say(f"- fixed cost (trivial DRF endpoint) p50 {fixed['p50']:.2f} ms before the "
                "reads; each read's ratio subtracts the fixed cost measured in turn with it")
            say()
            all_reads = reads(values, f"http://127.0.0.1:{port}",
                              lambda path: json.loads(get(port, path)[1]))
            # Before anything is timed: a floor that does not produce the API's body is no
            # floor, and the ratios would compare different work.
            mismatches = 0
            for read in all_reads:
                difference, attempt = check_floor(port, conn, read)
                if difference is None:
                    again = f" (on attempt {attempt})" if attempt > 1 else ""
                    print(f"{read.name}: floor JSON = API JSON: yes{again}", flush=True)
                else:
                    mismatches += 1
                    print(f"{read.name}: floor JSON = API JSON: NO, first difference at "
                          f"{difference}", file=sys.stderr, flush=True)
            if mismatches:
                print(f"FAILED: {mismatches} of {len(all_reads)} floors differ from the API",
                      file=sys.stderr, flush=True)
                return 1
            say(f"- floor JSON = API JSON (parsed; key order and number types included) for "
                f"all {len(all_reads)} reads, checked before timing")
            say()
            say("| read | API p50 | API p95 | API p99 | floor p50 | fixed p50 | ratio "
                "| API/floor raw |")
            say("|---|---:|---:|---:|---:|---:|---:|---:|")
            results = {}
            for read in all_reads:
                api, floor, fixed_now = measure_read(port, read.path, conn, *read.floor)
                ratio = max(api["p50"] - fixed_now["p50"], 0) / floor["p50"]
                results[read.name] = (api, floor, ratio)
                say(f"| {read.name} | {api['p50']:.1f} | {api['p95']:.1f} | {api['p99']:.1f} "
                    f"| {floor['p50']:.1f} | {fixed_now['p50']:.1f} | {ratio:.2f} "
                    f"| {api['p50'] / floor['p50']:.2f} |")
            worst = max(ratio for _, _, ratio in results.values())
            say()
            say(f"worst API/floor ratio: {worst:.2f} (target ≤ 1.5)")
            one, one_floor, one_fixed = measure_read(port, ONE_STATEMENT, conn,
                                                     ONE_STATEMENT_SQL, ())
            say(f"- the cheapest ORM read (the trivial endpoint plus one ORM statement of "
                f"one row): p50 {one['p50']:.2f} ms, trivial endpoint {one_fixed['p50']:.2f}, "
                f"the statement's SQL alone {one_floor['p50']:.2f}: ratio "
                f"{max(one['p50'] - one_fixed['p50'], 0) / one_floor['p50']:.2f}, in turn")
            paths = {read.name: read.path for read in all_reads}
            cancel, details = measure_cancel(
                port, conn, token, paths["/jobs/{id}/ (4 exes, files)"]
            )
            say()
            say(f"- PATCH cancel: p50 {cancel['p50']:.1f} ms, p95 {cancel['p95']:.1f}, "
                f"p99 {cancel['p99']:.1f}; cancel/details p50 = {cancel['p50']:.1f} / "
                f"{details['p50']:.1f} ms = {cancel['p50'] / details['p50']:.2f}, the two "
                f"taking turns (target ≤ 2)")
            for big, small_page in (("/jobs/ page_size=1000", "/jobs/ default"),
                                    ("/job-executions/ page_size=1000",
                                     "/job-executions/ default")):
                page_1000, page_100 = (
                    percentiles(times)["p50"]
                    for times in time_calls(
                        api_call(port, paths[big]), api_call(port, paths[small_page]),
                        count=REQUESTS,
                    )
                )
                say(f"- {big.split()[0]} 1000-row page / 100-row page p50 = {page_1000:.1f} / "
                    f"{page_100:.1f} ms = {page_1000 / page_100:.2f}, the two taking turns "
                    f"(target ≤ 4)")
            mixed_paths = list(paths.values())
            rate, ok, errors = mixed_load(port, mixed_paths)
            say(f"- mixed reads, 8 concurrent clients, {MIXED_SECONDS:.0f} s: "
                f"{rate:.1f} requests/s, {ok} answered 200, {errors} errors")
            if small:
                say()
                compare_sizes(server, small, port, all_reads, say)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"latest-{BENCH_JOBS}.md").write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {out / f'latest-{BENCH_JOBS}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
