"""The floor of each read: PostgreSQL alone producing the API's JSON body.

Each function returns one SQL statement and its parameters; the statement yields the
whole response body as text (count, next, previous, results), built with
``json_build_object`` the way a DBA would write it by hand: the page's ids from the job
table first (index-driven even at deep pages), then the joins for those ids only.
``bench/run.py`` checks, before timing, that each floor's body parses to the API's for
the same request (``bench/compare.py``): same values, key order and number types. The
page links are parameters (the absolute URLs of the request's neighbours); the statement
decides from its own count whether there is a next page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def ts(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


def f8(column: str) -> str:
    """A float8 as a JSON float, as DRF writes a FloatField: PostgreSQL writes 2.0 as 2."""
    return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
            f"THEN ({column}::numeric || '.0')::json ELSE to_json({column}) END")


JOB_TYPE_BRIEF = """json_build_object('id', jt.id, 'name', jt.name, 'version', jt.version,
 'title', jt.title, 'description', jt.description, 'category', jt.category,
 'author_name', jt.author_name, 'author_url', jt.author_url, 'is_system', jt.is_system,
 'is_long_running', jt.is_long_running, 'is_active', jt.is_active,
 'is_operational', jt.is_operational, 'is_paused', jt.is_paused, 'icon_code', jt.icon_code)"""

JOB_TYPE_REV_BRIEF = """json_build_object('id', rv.id, 'job_type',
 json_build_object('id', rv.job_type_id), 'revision_num', rv.revision_num)"""

EVENT_BRIEF = f"""json_build_object('id', ev.id, 'type', ev.type, 'rule',
 CASE WHEN ev.rule_id IS NULL THEN NULL ELSE json_build_object('id', ev.rule_id) END,
 'occurred', {ts('ev.occurred')})"""



def error_brief(alias: str) -> str:
    return f"""CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object('id', {alias}.id,
 'name', {alias}.name, 'title', {alias}.title, 'description', {alias}.description,
 'category', {alias}.category) END"""


def error_full(alias: str) -> str:
    return f"""CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object('id', {alias}.id,
 'name', {alias}.name, 'title', {alias}.title, 'description', {alias}.description,
 'category', {alias}.category, 'created', {ts(f'{alias}.created')},
 'last_modified', {ts(f'{alias}.last_modified')}) END"""


ERROR_BRIEF = error_brief("er")

JOB_TYPE_ROW = f"""json_build_object('id', jt.id, 'name', jt.name, 'version', jt.version,
 'title', jt.title, 'description', jt.description, 'category', jt.category,
 'author_name', jt.author_name, 'author_url', jt.author_url, 'is_system', jt.is_system,
 'is_long_running', jt.is_long_running, 'is_active', jt.is_active,
 'is_operational', jt.is_operational, 'is_paused', jt.is_paused, 'icon_code', jt.icon_code,
 'uses_docker', jt.uses_docker, 'docker_privileged', jt.docker_privileged,
 'docker_image', jt.docker_image, 'revision_num', jt.revision_num, 'priority', jt.priority,
 'timeout', jt.timeout, 'max_scheduled', jt.max_scheduled, 'max_tries', jt.max_tries,
 'cpus_required', {f8('jt.cpus_required')}, 'mem_required', {f8('jt.mem_required')},
 'disk_out_const_required', {f8('jt.disk_out_const_required')},
 'disk_out_mult_required', {f8('jt.disk_out_mult_required')},
 'created', {ts('jt.created')}, 'archived', {ts('jt.archived')},
 'paused', {ts('jt.paused')}, 'last_modified', {ts('jt.last_modified')})"""

TRIGGER_RULE = f"""json_build_object('id', ru.id, 'type', ru.type, 'name', ru.name,
 'is_active', ru.is_active, 'configuration', ru.configuration,
 'created', {ts('ru.created')}, 'archived', {ts('ru.archived')},
 'last_modified', {ts('ru.last_modified')})"""

JOB_SCALARS = f"""'status', j.status, 'priority', j.priority, 'num_exes', j.num_exes,
 'timeout', j.timeout, 'max_tries', j.max_tries, 'cpus_required', {f8('j.cpus_required')},
 'mem_required', {f8('j.mem_required')}, 'disk_in_required', {f8('j.disk_in_required')},
 'disk_out_required', {f8('j.disk_out_required')}, 'created', {ts('j.created')},
 'queued', {ts('j.queued')}, 'started', {ts('j.started')}, 'ended', {ts('j.ended')},
 'last_status_change', {ts('j.last_status_change')},
 'last_modified', {ts('j.last_modified')}"""

JOINS = """JOIN job_type jt ON jt.id = j.job_type_id
 JOIN job_type_revision rv ON rv.id = j.job_type_rev_id
 JOIN trigger_event ev ON ev.id = j.event_id
 LEFT JOIN error er ON er.id = j.error_id"""

FILE_OBJECT = f"""json_build_object('id', f.id, 'workspace',
 json_build_object('id', w.id, 'name', w.name), 'file_name', f.file_name,
 'media_type', f.media_type, 'file_size', f.file_size,
 'data_type', CASE WHEN f.data_type = '' THEN '[]'::json
   ELSE array_to_json(string_to_array(f.data_type, ',')) END,
 'is_deleted', f.is_deleted, 'uuid', f.uuid,
 'url', CASE WHEN w.base_url IS NULL OR w.base_url = '' THEN ''
   ELSE rtrim(w.base_url, '/') || '/' || ltrim(f.file_path, '/') END,
 'created', {ts('f.created')}, 'deleted', {ts('f.deleted')},
 'data_started', {ts('f.data_started')}, 'data_ended', {ts('f.data_ended')},
 'geometry', f.geometry, 'center_point', f.center_point, 'meta_data', f.meta_data,
 'last_modified', {ts('f.last_modified')})"""

PRODUCT_OBJECT = FILE_OBJECT[:-1] + """, 'is_operational', f.is_operational,
 'is_published', f.is_published, 'published', """ + ts("f.published") + """,
 'unpublished', """ + ts("f.unpublished") + """,
 'job_type', CASE WHEN f.job_type_id IS NULL THEN NULL
   ELSE json_build_object('id', f.job_type_id) END,
 'job', CASE WHEN f.job_id IS NULL THEN NULL ELSE json_build_object('id', f.job_id) END,
 'job_exe', CASE WHEN f.job_exe_id IS NULL THEN NULL
   ELSE json_build_object('id', f.job_exe_id) END)"""


def json_array(document: str) -> str:
    """``document`` when it is a JSON array, else NULL (no elements): the job data comes
    from outside and may have any shape."""
    return f"CASE WHEN jsonb_typeof({document}) = 'array' THEN {document} END"


def interface_values(declared: str, given: str, file_object: str) -> str:
    """``inputs`` (or ``outputs``) of the details: every entry of the interface's list
    ``declared`` that is an object with a string name, in order, with its value from the
    last entry of ``given`` of that name (null without one, whatever the type): a
    property's ``value``; for a ``file``, the first file its ``file_id``/``file_ids`` name
    that exists (or null), for ``files`` all of them in that order (``file_object``
    renders ``f``/``w``)."""
    files = f"""FROM (SELECT e.id::bigint AS id, e.n FROM (
            SELECT CASE WHEN jsonb_typeof(x.id) = 'number' AND x.id::text ~ '^[0-9]+$'
                THEN x.id::text::numeric END AS id, x.n
            FROM (SELECT v.e->'file_id' AS id, 0::bigint AS n
                  UNION ALL SELECT t.x, t.n
                  FROM jsonb_array_elements({json_array("v.e->'file_ids'")})
                       WITH ORDINALITY t(x, n)) x
          ) e WHERE e.id BETWEEN 1 AND 9223372036854775807) i
          JOIN scale_file f ON f.id = i.id JOIN workspace w ON w.id = f.workspace_id"""
    return f"""(SELECT coalesce(json_agg(json_build_object('name', d.item->>'name',
            'type', d.item->'type', 'value', CASE
              WHEN v.e IS NULL THEN NULL
              WHEN d.item->'type' = '"files"' THEN
                (SELECT coalesce(json_agg({file_object} ORDER BY i.n), '[]') {files})
              WHEN d.item->'type' = '"file"' THEN
                (SELECT {file_object} {files} ORDER BY i.n LIMIT 1)
              ELSE (v.e->'value')::json END) ORDER BY d.n), '[]')
        FROM jsonb_array_elements({json_array(declared)}) WITH ORDINALITY d(item, n)
        LEFT JOIN LATERAL (
            SELECT g.e FROM jsonb_array_elements({json_array(given)}) WITH ORDINALITY g(e, n)
            WHERE jsonb_typeof(g.e) = 'object' AND g.e->'name' = d.item->'name'
            ORDER BY g.n DESC LIMIT 1) v ON TRUE
        WHERE jsonb_typeof(d.item) = 'object' AND jsonb_typeof(d.item->'name') = 'string')"""


EXE_SCALARS = f"""'id', x.id, 'status', x.status,
 'command_arguments', x.command_arguments, 'timeout', x.timeout,
 'pre_started', {ts('x.pre_started')}, 'pre_completed', {ts('x.pre_completed')},
 'pre_exit_code', x.pre_exit_code, 'job_started', {ts('x.job_started')},
 'job_completed', {ts('x.job_completed')}, 'job_exit_code', x.job_exit_code,
 'post_started', {ts('x.post_started')}, 'post_completed', {ts('x.post_completed')},
 'post_exit_code', x.post_exit_code, 'created', {ts('x.created')},
 'queued', {ts('x.queued')}, 'started', {ts('x.started')}, 'ended', {ts('x.ended')},
 'last_modified', {ts('x.last_modified')}"""

EXECUTION = f"""json_build_object({EXE_SCALARS}, 'job', json_build_object('id', x.job_id),
 'node', CASE WHEN x.node_id IS NULL THEN NULL ELSE json_build_object('id', x.node_id) END,
 'error', CASE WHEN x.error_id IS NULL THEN NULL ELSE json_build_object('id', x.error_id) END)"""

ROW_EXTRAS = {
    "plain": "",
    "updates": f""", 'input_files', (SELECT coalesce(json_agg({FILE_OBJECT} ORDER BY l.id), '[]')
   FROM job_input_file l JOIN scale_file f ON f.id = l.input_file_id
   JOIN workspace w ON w.id = f.workspace_id WHERE l.job_id = j.id)""",
    "executions": f""", 'latest_job_exe', (SELECT {EXECUTION} FROM job_exe x
   WHERE x.job_id = j.id ORDER BY x.created DESC, x.id DESC LIMIT 1)""",
}


def page(*, count: str, ids: str, row: str, rows_from: str, limit: int, offset: int,
         params: tuple, next_url: str | None, previous_url: str | None,
         ids_params: tuple | None = None) -> tuple[str, tuple]:
    """One list body: ``count`` counts the rows; ``ids`` selects the page's ids in order
    (its ``LIMIT``/``OFFSET`` included, read off an index); ``row`` renders a row of
    ``rows_from`` (which joins on ``page.id``). ``params`` fill ``count`` and ``ids``
    alike, unless ``ids`` has its own (``ids_params``). ``offset`` is the page's place
    (the rows before it), whether ``ids`` skips them by OFFSET or seeks past them."""
    sql = f"""
    WITH total(n) AS ({count}),
    page AS (SELECT p.id, row_number() OVER () AS n FROM ({ids}) p)
    SELECT json_build_object(
        'count', total.n,
        'next', CASE WHEN total.n > {offset + limit} THEN %s::text END,
        'previous', %s::text,
        'results', coalesce((SELECT json_agg({row} ORDER BY page.n) FROM page {rows_from}),
                            '[]')
    )::text
    FROM total
    """
    return sql, params + (params if ids_params is None else ids_params) + (
        next_url, previous_url)


BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
BUCKET_WIDTHS = (86400, 3600, 60)  # job_time_count's: a day, an hour, a minute


def literal(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.isoformat()}'"


def whole_buckets(low: datetime | None, high: datetime | None) -> list[str]:
    """The job_time_count rows (as conditions on ``c``) that make up [low, high): the
    widest whole buckets first, then narrower ones on each side."""
    conditions = []
    pending = [(low, high)]
    for width in BUCKET_WIDTHS:
        step = timedelta(seconds=width)
        narrower = []
        for start, end in pending:
            first = None if start is None else start + (BUCKET_ORIGIN - start) % step
            last = None if end is None else end - (end - BUCKET_ORIGIN) % step
            if width == BUCKET_WIDTHS[-1] or first is None or last is None or first < last:
                bounds = [f"c.width = {width}"]
                if first is not None:
                    bounds.append(f"c.bucket >= {literal(first)}")
                if last is not None:
                    bounds.append(f"c.bucket < {literal(last)}")
                if first is None or last is None or first < last:
                    conditions.append(" AND ".join(bounds))
                if start is not None and first is not None and start < first:
                    narrower.append((start, first))
                if end is not None and last is not None and last < end:
                    narrower.append((last, end))
            else:
                narrower.append((start, end))
        pending = narrower
    return conditions


def window_count(*, where: str, keys_where: str, started: datetime | None,
                 ended: datetime | None) -> str:
    """The count of a window on last_modified as the API takes it: job_time_count's whole
    buckets (``keys_where`` filters its keys, aliased ``j`` as well) plus the jobs
    (``where``, the window included) of the partial minutes at the two edges."""
    minute = timedelta(minutes=1)
    low = None if started is None else started + (BUCKET_ORIGIN - started) % minute
    high = None if ended is None else ended - (ended - BUCKET_ORIGIN) % minute
    if low is not None and high is not None and low >= high:
        return f"SELECT count(*) FROM job j WHERE {where}"
    buckets = " OR ".join(f"({condition})" for condition in whole_buckets(low, high))
    parts = [f"(SELECT coalesce(sum(c.count), 0) FROM job_time_count c "
             f"WHERE ({keys_where.replace('j.', 'c.')}) AND ({buckets}))"]
    if low is not None:
        parts.append(f"(SELECT count(*) FROM job j WHERE {where} "
                     f"AND j.last_modified < {literal(low)})")
    if high is not None:
        parts.append(f"(SELECT count(*) FROM job j WHERE {where} "
                     f"AND j.last_modified >= {literal(high)})")
    return "SELECT " + " + ".join(parts)


def updates_window_ids(*, where: str, started: datetime, limit: int, offset: int) -> str:
    """/jobs/updates/'s page of a window starting at ``started``, as the API reads it
    (``JobUpdatePaginator``): three parts in last_status_change order, each up to the
    page's end, and the lagging jobs whole, then the page from them."""
    top = offset + limit
    since, lag = literal(started), f"{literal(started)} - interval '1 minute'"
    ordered = [
        f"j.last_status_change >= {since}",
        f"j.last_status_change >= {lag} AND j.last_status_change < {since}",
        "j.last_status_change IS NULL",
    ]
    lagging = (f"(j.last_modified - j.last_status_change) > '00:01:00'::interval "
               f"AND j.last_status_change < {lag}")
    union = " UNION ALL ".join(
        [f"(SELECT j.id FROM job j WHERE {where} AND {part} "
         f"ORDER BY j.last_status_change, j.id LIMIT {top})" for part in ordered]
        + [f"(SELECT j.id FROM job j WHERE {where} AND {lagging})"]
    )
    return (f"SELECT j.id FROM job j WHERE j.id IN ({union}) "
            f"ORDER BY j.last_status_change, j.id LIMIT {limit} OFFSET {offset}")


def job_list(*, where: str, order: str, limit: int, offset: int, extras: str = "plain",
             params: tuple = (), counted: bool = False, next_url: str | None = None,
             previous_url: str | None = None, count: str | None = None,
             ids: str | None = None, after: str = "",
             after_params: tuple = ()) -> tuple[str, tuple]:
    """count, page links and one page of job rows; ``where`` filters ``job j``, ``order``
    orders it.

    ``after``: the page is read by key, the rows of ``order`` after a row's sort key
    (``(j.last_modified, j.id) > (%s, %s)``, with ``after_params``), not at ``offset``
    (which still says where the page is: whether a next one follows).

    ``counted``: the count sums ``job_count`` (aliased ``j`` too: ``where`` names only
    columns it shares with job), as the API does for such filters; ``count`` gives the
    count's statement instead (``window_count``), and ``ids`` the page's ids
    (``updates_window_ids``). ``next_url`` is given only when the count shows rows past
    this page.
    """
    if count is None:
        count = (
            f"SELECT coalesce(sum(j.count), 0) FROM job_count j WHERE {where}"
            if counted
            else f"SELECT count(*) FROM job j WHERE {where}"
        )
    return page(
        count=count,
        ids=ids or (
            f"SELECT j.id FROM job j WHERE {where} AND {after} ORDER BY {order} LIMIT {limit}"
            if after else
            f"SELECT j.id FROM job j WHERE {where} ORDER BY {order} "
            f"LIMIT {limit} OFFSET {offset}"),
        ids_params=params + after_params if after else None,
        row=f"""json_build_object('id', j.id, 'job_type', {JOB_TYPE_BRIEF},
                'job_type_rev', {JOB_TYPE_REV_BRIEF}, 'event', {EVENT_BRIEF},
                'error', {ERROR_BRIEF}, {JOB_SCALARS} {ROW_EXTRAS[extras]})""",
        rows_from=f"JOIN job j ON j.id = page.id {JOINS}",
        limit=limit, offset=offset, params=params, next_url=next_url,
        previous_url=previous_url,
    )


def job_details(*, job_id: int) -> tuple[str, tuple]:
    """The job with full nested objects, data, results, recipes, executions, inputs and
    outputs."""
    sql = f"""
    SELECT json_build_object('id', j.id,
        'job_type', json_build_object('id', jt.id, 'name', jt.name, 'version', jt.version,
            'title', jt.title, 'description', jt.description, 'category', jt.category,
            'author_name', jt.author_name, 'author_url', jt.author_url,
            'is_system', jt.is_system, 'is_long_running', jt.is_long_running,
            'is_active', jt.is_active, 'is_operational', jt.is_operational,
            'is_paused', jt.is_paused, 'icon_code', jt.icon_code,
            'uses_docker', jt.uses_docker, 'docker_privileged', jt.docker_privileged,
            'docker_image', jt.docker_image, 'priority', jt.priority,
            'timeout', jt.timeout, 'max_tries', jt.max_tries,
            'cpus_required', {f8('jt.cpus_required')}, 'mem_required', {f8('jt.mem_required')},
            'disk_out_const_required', {f8('jt.disk_out_const_required')},
            'disk_out_mult_required', {f8('jt.disk_out_mult_required')},
            'created', {ts('jt.created')}, 'archived', {ts('jt.archived')},
            'paused', {ts('jt.paused')}, 'last_modified', {ts('jt.last_modified')}),
        'job_type_rev', json_build_object('id', rv.id,
            'job_type', json_build_object('id', rv.job_type_id),
            'revision_num', rv.revision_num, 'interface', rv.interface,
            'created', {ts('rv.created')}),
        'event', json_build_object('id', ev.id, 'type', ev.type, 'rule',
            (SELECT {TRIGGER_RULE} FROM trigger_rule ru WHERE ru.id = ev.rule_id),
            'occurred', {ts('ev.occurred')}),
        'error', {error_full('er')},
        {JOB_SCALARS},
        'data', j.data, 'results', j.results,
        'recipes', (SELECT coalesce(json_agg(json_build_object('id', rc.id,
                'recipe_type', json_build_object('id', rt.id, 'name', rt.name,
                    'version', rt.version, 'title', rt.title, 'description', rt.description),
                'event', json_build_object('id', re.id, 'type', re.type, 'rule',
                    CASE WHEN re.rule_id IS NULL THEN NULL
                    ELSE json_build_object('id', re.rule_id) END,
                    'occurred', {ts('re.occurred')}),
                'created', {ts('rc.created')}, 'completed', {ts('rc.completed')},
                'last_modified', {ts('rc.last_modified')}) ORDER BY rc.created, rc.id), '[]')
            FROM recipe_job rj JOIN recipe rc ON rc.id = rj.recipe_id
            JOIN recipe_type rt ON rt.id = rc.recipe_type_id
            JOIN trigger_event re ON re.id = rc.event_id WHERE rj.job_id = j.id),
        'job_exes', (SELECT coalesce(json_agg({EXECUTION} ORDER BY x.created DESC, x.id DESC),
                '[]') FROM job_exe x WHERE x.job_id = j.id),
        'inputs', {interface_values("rv.interface->'input_data'", "j.data->'input_data'",
                                    FILE_OBJECT)},
        'outputs', {interface_values("rv.interface->'output_data'", "j.results->'output_data'",
                                     PRODUCT_OBJECT)}
    )::text
    FROM job j {JOINS} WHERE j.id = %s
    """
    return sql, (job_id,)


def job_type_list(*, where: str = "TRUE", limit: int = 100, offset: int = 0,
                  params: tuple = (), next_url: str | None = None,
                  previous_url: str | None = None) -> tuple[str, tuple]:
    """``/job-types/``: ``where`` filters ``job_type jt``; by name, version, id."""
    return page(
        count=f"SELECT count(*) FROM job_type jt WHERE {where}",
        ids=f"SELECT jt.id FROM job_type jt WHERE {where} ORDER BY jt.name, jt.version, jt.id "
            f"LIMIT {limit} OFFSET {offset}",
        row=JOB_TYPE_ROW,
        rows_from="JOIN job_type jt ON jt.id = page.id",
        limit=limit, offset=offset, params=params, next_url=next_url,
        previous_url=previous_url,
    )


def status_counts(hours: int) -> str:
    """One ``job_counts_<hours>h`` array as the API counts it: job_status_time_count's
    whole buckets of the job type ``jt`` from the minute the window starts in, less that
    minute's jobs from before the window, by status then error category; the newest
    change of each read from the newest minute with its jobs, backwards."""
    origin = literal(BUCKET_ORIGIN)
    since = f"(now() - interval '{hours} hours')"
    first = f"date_bin('1 minute', {since}, {origin})"

    def start_of_whole(width: str) -> str:
        return f"(date_bin('1 {width}', {first} - interval '1 microsecond', {origin}) " \
               f"+ interval '1 {width}')"

    day, hour = start_of_whole("day"), start_of_whole("hour")
    buckets = (f"(c.width = 86400 AND c.bucket >= {day}) OR (c.width = 3600 AND "
               f"c.bucket >= {hour} AND c.bucket < {day}) OR (c.width = 60 AND "
               f"c.bucket >= {first} AND c.bucket < {hour})")
    group_jobs = ("FROM job j LEFT JOIN error je ON je.id = j.error_id WHERE j.job_type_id = "
                  "jt.id AND j.status = g.status AND je.category IS NOT DISTINCT FROM g.category")
    newest_minute = f"""(SELECT m.bucket FROM job_status_time_count m
        WHERE m.job_type_id = jt.id AND m.status = g.status AND m.width = 60
            AND m.bucket >= {first}
            AND (SELECT e.category FROM error e WHERE e.id = m.error_id)
                IS NOT DISTINCT FROM g.category
        GROUP BY m.bucket HAVING sum(m.count) > 0 ORDER BY m.bucket DESC LIMIT 1)"""
    return f"""(SELECT coalesce(json_agg(json_build_object('status', k.status,
        'count', k.count, 'most_recent', {ts('k.most_recent')}, 'category', k.category)
        ORDER BY k.status, k.category), '[]')
    FROM (
        SELECT g.status, g.category,
            g.total - (SELECT count(*) {group_jobs}
                AND j.last_status_change >= {first} AND j.last_status_change < {since}) AS count,
            (SELECT j.last_status_change {group_jobs} AND j.last_status_change >= {since}
                AND j.last_status_change < {newest_minute} + interval '1 minute'
                ORDER BY j.last_status_change DESC LIMIT 1) AS most_recent
        FROM (SELECT c.status, e.category, sum(c.count) AS total
              FROM job_status_time_count c LEFT JOIN error e ON e.id = c.error_id
              WHERE c.job_type_id = jt.id AND ({buckets}) GROUP BY 1, 2) g
    ) k WHERE k.count > 0)"""


def job_type_details(*, job_type_id: int) -> tuple[str, tuple]:
    """``/job-types/{id}/``: the row, interface, error mapping, trigger rule, the errors the
    mapping names, and the status counts of the job type's jobs whose status changed in
    the last 6, 12 and 24 hours, each from job_status_time_count (``status_counts``)."""
    sql = f"""
    SELECT {JOB_TYPE_ROW[:-1]},
        'interface', jt.interface, 'error_mapping', jt.error_mapping,
        'trigger_rule', (SELECT {TRIGGER_RULE} FROM trigger_rule ru
                         WHERE ru.id = jt.trigger_rule_id),
        'errors', (SELECT coalesce(json_agg({error_full('e')} ORDER BY e.name, e.id), '[]')
                   FROM error e WHERE e.name IN (
                       SELECT jsonb_path_query(jt.error_mapping, '$.exit_codes.*') #>> '{{}}')),
        'job_counts_6h', {status_counts(6)},
        'job_counts_12h', {status_counts(12)},
        'job_counts_24h', {status_counts(24)})::text
    FROM job_type jt WHERE jt.id = %s
    """
    return sql, (job_type_id,)


def node(alias: str, *, full: bool) -> str:
    more = f""", 'is_paused', {alias}.is_paused, 'is_active', {alias}.is_active,
 'archived', {ts(f'{alias}.archived')}, 'created', {ts(f'{alias}.created')},
 'last_modified', {ts(f'{alias}.last_modified')}""" if full else ""
    return f"""CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object('id', {alias}.id,
 'hostname', {alias}.hostname, 'port', {alias}.port, 'slave_id', {alias}.slave_id{more}) END"""


EXECUTION_JOB = f"""json_build_object('id', j.id, 'job_type', {JOB_TYPE_BRIEF},
 'job_type_rev', json_build_object('id', j.job_type_rev_id),
 'event', json_build_object('id', j.event_id), 'error', {ERROR_BRIEF},
 'status', j.status, 'priority', j.priority, 'num_exes', j.num_exes)"""

EXECUTION_JOINS = """JOIN job j ON j.id = x.job_id JOIN job_type jt ON jt.id = j.job_type_id
 LEFT JOIN error er ON er.id = j.error_id LEFT JOIN node n ON n.id = x.node_id
 LEFT JOIN error xe ON xe.id = x.error_id"""


def job_execution_list(*, where: str = "TRUE", limit: int = 100, offset: int = 0,
                       params: tuple = (), counted_where: str | None = None,
                       next_url: str | None = None,
                       previous_url: str | None = None) -> tuple[str, tuple]:
    """``/job-executions/``: ``where`` filters ``job_exe x``; by last_modified, id.

    ``counted_where``: the count sums ``job_exe_count c`` rows matching it (with the same
    ``params``), as the API does when it filters by nothing but that table's keys.
    """
    count = (
        f"SELECT coalesce(sum(c.count), 0) FROM job_exe_count c WHERE {counted_where}"
        if counted_where
        else f"SELECT count(*) FROM job_exe x WHERE {where}"
    )
    return page(
        count=count,
        ids=f"SELECT x.id FROM job_exe x WHERE {where} ORDER BY x.last_modified, x.id "
            f"LIMIT {limit} OFFSET {offset}",
        row=f"""json_build_object({EXE_SCALARS}, 'job', {EXECUTION_JOB},
                'node', {node('n', full=False)}, 'error', {error_brief('xe')})""",
        rows_from=f"JOIN job_exe x ON x.id = page.id {EXECUTION_JOINS}",
        limit=limit, offset=offset, params=params, next_url=next_url,
        previous_url=previous_url,
    )


def job_execution_details(*, job_exe_id: int) -> tuple[str, tuple]:
    """``/job-executions/{id}/``: the row with the full node and error, the resources
    scheduled and the results; never stdout/stderr (no log URLs: null)."""
    sql = f"""
    SELECT json_build_object({EXE_SCALARS}, 'job', {EXECUTION_JOB},
        'node', {node('n', full=True)}, 'error', {error_full('xe')},
        'environment', x.environment, 'cpus_scheduled', {f8('x.cpus_scheduled')},
        'mem_scheduled', {f8('x.mem_scheduled')},
        'disk_in_scheduled', {f8('x.disk_in_scheduled')},
        'disk_out_scheduled', {f8('x.disk_out_scheduled')},
        'disk_total_scheduled', {f8('x.disk_total_scheduled')}, 'results', x.results,
        'current_stdout_url', NULL, 'current_stderr_url', NULL,
        'results_manifest', x.results_manifest)::text
    FROM job_exe x {EXECUTION_JOINS} WHERE x.id = %s
    """
    return sql, (job_exe_id,)


def workspace_list(*, limit: int = 100, offset: int = 0, next_url: str | None = None,
                   previous_url: str | None = None) -> tuple[str, tuple]:
    """``/workspaces/``: by last_modified, id."""
    row = f"""json_build_object('id', w.id, 'name', w.name, 'title', w.title,
     'description', w.description, 'base_url', w.base_url, 'is_active', w.is_active,
     'used_size', w.used_size, 'total_size', w.total_size, 'created', {ts('w.created')},
     'archived', {ts('w.archived')}, 'last_modified', {ts('w.last_modified')})"""
    return page(
        count="SELECT count(*) FROM workspace",
        ids=f"SELECT id FROM workspace ORDER BY last_modified, id LIMIT {limit} OFFSET {offset}",
        row=row, rows_from="JOIN workspace w ON w.id = page.id",
        limit=limit, offset=offset, params=(), next_url=next_url, previous_url=previous_url,
    )


def job_load(*, started, ended, limit: int = 100, offset: int = 0,
             next_url: str | None = None, previous_url: str | None = None) -> tuple[str, tuple]:
    """``/load/`` for a window that ends before now: at each whole hour, the sums of
    ``job_load_change`` before it (one sum before the window, a running sum within)."""
    sql = f"""
    WITH bounds AS (
        SELECT CASE WHEN date_trunc('hour', s, 'UTC') < s
                    THEN date_trunc('hour', s, 'UTC') + interval '1 hour'
                    ELSE date_trunc('hour', s, 'UTC') END AS first, e AS last
        FROM (SELECT %s::timestamptz AS s, %s::timestamptz AS e) given),
    before AS (
        SELECT coalesce(sum(c.pending), 0) AS p, coalesce(sum(c.queued), 0) AS q,
               coalesce(sum(c.running), 0) AS r
        FROM job_load_change c, bounds WHERE c.hour < bounds.first - interval '1 hour'),
    within AS (
        SELECT c.hour, sum(c.pending) AS p, sum(c.queued) AS q, sum(c.running) AS r
        FROM job_load_change c, bounds
        WHERE c.hour >= bounds.first - interval '1 hour' AND c.hour < bounds.last
        GROUP BY c.hour),
    points AS (
        SELECT h.t, b.p + sum(coalesce(w.p, 0)) OVER (ORDER BY h.t) AS p,
               b.q + sum(coalesce(w.q, 0)) OVER (ORDER BY h.t) AS q,
               b.r + sum(coalesce(w.r, 0)) OVER (ORDER BY h.t) AS r
        FROM bounds, generate_series(bounds.first, bounds.last, interval '1 hour') AS h(t)
        CROSS JOIN before b LEFT JOIN within w ON w.hour = h.t - interval '1 hour'),
    shown AS (SELECT * FROM points ORDER BY t LIMIT {limit} OFFSET {offset})
    SELECT json_build_object(
        'count', (SELECT count(*) FROM points),
        'next', CASE WHEN (SELECT count(*) FROM points) > {offset + limit} THEN %s::text END,
        'previous', %s::text,
        'results', coalesce((SELECT json_agg(json_build_object('time', {ts('t')},
            'pending_count', p, 'queued_count', q, 'running_count', r) ORDER BY t)
            FROM shown), '[]'))::text
    """
    return sql, (started, ended, next_url, previous_url)


# The Failure Rates page's columns, as the API names them, and their rows of job_day_count.
FAILURE_RATE_COLUMNS = (
    ("error_system_count", "System Error Count", "Number of failed jobs due to a system error.",
     "errors", "er.category = 'SYSTEM'"),
    ("error_algorithm_count", "Algorithm Error Count",
     "Number of failed jobs due to an algorithm error.", "errors", "er.category = 'ALGORITHM'"),
    ("error_data_count", "Data Error Count", "Number of failed jobs due to a data error.",
     "errors", "er.category = 'DATA'"),
    ("total_count", "Total Count", "Number of completed, failed, and canceled jobs.",
     "overview", "TRUE"),
)


def metrics_plot_data(*, first_day, last_day) -> tuple[str, tuple]:
    """``/metrics/job-types/plot-data/`` as the Failure Rates page asks for it (every job
    type as choice_id, the four columns of ``FAILURE_RATE_COLUMNS``): per column, the sums
    of ``job_day_count`` by day and job type."""
    sums = ", ".join(
        f"coalesce(sum(d.count) FILTER (WHERE {where}), 0) AS {name}"
        for name, _, _, _, where in FAILURE_RATE_COLUMNS
    )
    plots = []
    for name, title, description, group, _ in FAILURE_RATE_COLUMNS:
        plots.append(f"""json_build_object('column', json_build_object('name', '{name}',
            'title', '{title}', 'description', '{description}', 'units', 'count',
            'group', '{group}', 'aggregate', 'sum'),
            'min_x', (SELECT min(occurred) FROM days), 'max_x', (SELECT max(occurred) FROM days),
            'min_y', (SELECT min({name}) FROM days), 'max_y', (SELECT max({name}) FROM days),
            'values', coalesce((SELECT json_agg(json_build_object('id', job_type_id,
                'date', occurred, 'value', {name}) ORDER BY occurred, job_type_id) FROM days),
                '[]'))""")
    sql = f"""
    WITH days AS (
        SELECT d.occurred, d.job_type_id, {sums}
        FROM job_day_count d LEFT JOIN error er ON er.id = d.error_id
        WHERE d.occurred >= %s AND d.occurred <= %s
        GROUP BY d.occurred, d.job_type_id HAVING sum(d.count) > 0)
    SELECT json_build_object('count', {len(plots)}, 'next', NULL, 'previous', NULL,
        'results', json_build_array({", ".join(plots)}))::text
    """
    return sql, (first_day, last_day)


# The run time columns (metrics.rst's example group): each aggregate's SQL over a day's
# summed row (n: executions measured, total: their seconds, least/most: the extremes).
RUN_TIME_COLUMNS = (
    ("run_time_sum", "Run Time (Sum)", "Total", "sum", "round(total)"),
    ("run_time_min", "Run Time (Min)", "Minimum", "min", "round(least)"),
    ("run_time_max", "Run Time (Max)", "Maximum", "max", "round(most)"),
    ("run_time_avg", "Run Time (Avg)", "Average", "avg", "round(total / n)"),
)


def metrics_run_times(*, first_day, last_day) -> tuple[str, tuple]:
    """``/metrics/job-types/plot-data/`` with every job type as choice_id and
    ``group=run_time``: per day and job type, the rows of ``job_exe_day_time`` summed, the
    extremes of a stale day read from its completed executions."""
    plots = []
    for name, title, word, aggregate, value in RUN_TIME_COLUMNS:
        plots.append(f"""json_build_object('column', json_build_object('name', '{name}',
            'title', '{title}',
            'description', '{word} time spent running the pre, job, and post tasks.',
            'units', 'seconds', 'group', 'run_time', 'aggregate', '{aggregate}'),
            'min_x', (SELECT min(occurred) FROM days), 'max_x', (SELECT max(occurred) FROM days),
            'min_y', (SELECT min({value}) FROM days), 'max_y', (SELECT max({value}) FROM days),
            'values', coalesce((SELECT json_agg(json_build_object('id', job_type_id,
                'date', occurred, 'value', {value}) ORDER BY occurred, job_type_id) FROM days),
                '[]'))""")
    sql = f"""
    WITH keys AS (
        SELECT occurred, job_type_id, sum(run_count) AS n, sum(run_sum) AS total,
               min(run_min) AS least, max(run_max) AS most, bool_or(stale) AS stale
        FROM job_exe_day_time WHERE occurred >= %s AND occurred <= %s
        GROUP BY occurred, job_type_id HAVING sum(run_count) <> 0
    ), days AS (
        SELECT k.occurred, k.job_type_id, k.n, k.total,
               CASE WHEN k.stale THEN e.least ELSE k.least END AS least,
               CASE WHEN k.stale THEN e.most ELSE k.most END AS most
        FROM keys k LEFT JOIN LATERAL (
            SELECT min(job_exe_seconds(x.started, x.ended)) AS least,
                   max(job_exe_seconds(x.started, x.ended)) AS most
            FROM job_exe x JOIN job j ON j.id = x.job_id
            WHERE k.stale AND x.status = 'COMPLETED' AND j.job_type_id = k.job_type_id
              AND x.ended >= k.occurred::timestamp AT TIME ZONE 'UTC'
              AND x.ended < (k.occurred + 1)::timestamp AT TIME ZONE 'UTC'
        ) e ON TRUE)
    SELECT json_build_object('count', {len(plots)}, 'next', NULL, 'previous', NULL,
        'results', json_build_array({", ".join(plots)}))::text
    """
    return sql, (first_day, last_day)
