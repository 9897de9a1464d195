"""The floor of each read: PostgreSQL alone producing the same JSON (count plus page).

Each function returns one SQL statement and its parameters; the statement yields the
whole response body as text, built with ``json_build_object`` the way a DBA would write
it by hand: the page's ids from the job table first (index-driven even at deep pages),
then the joins for those ids only.
"""

from __future__ import annotations


def ts(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


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

ERROR_BRIEF = """CASE WHEN er.id IS NULL THEN NULL ELSE json_build_object('id', er.id,
 'name', er.name, 'title', er.title, 'description', er.description,
 'category', er.category) END"""

JOB_SCALARS = f"""'status', j.status, 'priority', j.priority, 'num_exes', j.num_exes,
 'timeout', j.timeout, 'max_tries', j.max_tries, 'cpus_required', j.cpus_required,
 'mem_required', j.mem_required, 'disk_in_required', j.disk_in_required,
 'disk_out_required', j.disk_out_required, 'created', {ts('j.created')},
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

EXECUTION = f"""json_build_object('id', x.id, 'status', x.status,
 'command_arguments', x.command_arguments, 'timeout', x.timeout,
 'pre_started', {ts('x.pre_started')}, 'pre_completed', {ts('x.pre_completed')},
 'pre_exit_code', x.pre_exit_code, 'job_started', {ts('x.job_started')},
 'job_completed', {ts('x.job_completed')}, 'job_exit_code', x.job_exit_code,
 'post_started', {ts('x.post_started')}, 'post_completed', {ts('x.post_completed')},
 'post_exit_code', x.post_exit_code, 'created', {ts('x.created')},
 'queued', {ts('x.queued')}, 'started', {ts('x.started')}, 'ended', {ts('x.ended')},
 'last_modified', {ts('x.last_modified')}, 'job', json_build_object('id', x.job_id),
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


def job_list(*, where: str, order: str, limit: int, offset: int, extras: str = "plain",
             params: tuple = (), counted: bool = False) -> tuple[str, tuple]:
    """count + one page of job rows; ``where`` filters ``job j``, ``order`` orders it.

    ``counted``: the count sums ``job_count`` (aliased ``j`` too: ``where`` names only
    columns it shares with job), as the API does for such filters.
    """
    count = (
        f"SELECT coalesce(sum(j.count), 0) FROM job_count j WHERE {where}"
        if counted
        else f"SELECT count(*) FROM job j WHERE {where}"
    )
    sql = f"""
    WITH page AS (
        SELECT j.id, row_number() OVER () AS n FROM (
            SELECT j.id FROM job j WHERE {where} ORDER BY {order} LIMIT {limit} OFFSET {offset}
        ) j
    )
    SELECT json_build_object(
        'count', ({count}),
        'next', NULL, 'previous', NULL,
        'results', coalesce((
            SELECT json_agg(json_build_object('id', j.id, 'job_type', {JOB_TYPE_BRIEF},
                'job_type_rev', {JOB_TYPE_REV_BRIEF}, 'event', {EVENT_BRIEF},
                'error', {ERROR_BRIEF}, {JOB_SCALARS} {ROW_EXTRAS[extras]}) ORDER BY page.n)
            FROM page JOIN job j ON j.id = page.id {JOINS}
        ), '[]')
    )::text
    """
    return sql, params + params


def job_details(*, job_id: int) -> tuple[str, tuple]:
    """The job with full nested objects, data, results, recipes, executions and files."""
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
            'cpus_required', jt.cpus_required, 'mem_required', jt.mem_required,
            'disk_out_const_required', jt.disk_out_const_required,
            'disk_out_mult_required', jt.disk_out_mult_required,
            'created', {ts('jt.created')}, 'archived', {ts('jt.archived')},
            'paused', {ts('jt.paused')}, 'last_modified', {ts('jt.last_modified')}),
        'job_type_rev', json_build_object('id', rv.id,
            'job_type', json_build_object('id', rv.job_type_id),
            'revision_num', rv.revision_num, 'interface', rv.interface,
            'created', {ts('rv.created')}),
        'event', json_build_object('id', ev.id, 'type', ev.type, 'rule',
            (SELECT json_build_object('id', ru.id, 'type', ru.type, 'name', ru.name,
                'is_active', ru.is_active, 'configuration', ru.configuration,
                'created', {ts('ru.created')}, 'archived', {ts('ru.archived')},
                'last_modified', {ts('ru.last_modified')})
             FROM trigger_rule ru WHERE ru.id = ev.rule_id),
            'occurred', {ts('ev.occurred')}),
        'error', CASE WHEN er.id IS NULL THEN NULL ELSE json_build_object('id', er.id,
            'name', er.name, 'title', er.title, 'description', er.description,
            'category', er.category, 'created', {ts('er.created')},
            'last_modified', {ts('er.last_modified')}) END,
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
        'files', (SELECT coalesce(json_agg({FILE_OBJECT} ORDER BY f.id), '[]')
            FROM scale_file f JOIN workspace w ON w.id = f.workspace_id
            WHERE f.id IN (SELECT l.input_file_id FROM job_input_file l WHERE l.job_id = j.id
                           UNION SELECT p.id FROM scale_file p WHERE p.job_id = j.id))
    )::text
    FROM job j {JOINS} WHERE j.id = %s
    """
    return sql, (job_id,)
