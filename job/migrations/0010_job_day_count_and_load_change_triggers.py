# Written by hand: the triggers that keep job_day_count and job_load_change, and their
# backfill (a migration of its own: the unique index that ON CONFLICT needs is only
# created at the end of the migration that creates the table).

from django.db import migrations


# A finished job counts on the day (UTC) it ended.
DAY_NEW = """SELECT (ended AT TIME ZONE 'UTC')::date AS occurred, job_type_id, status, error_id,
    1 AS delta FROM new_rows WHERE ended IS NOT NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELED')"""
DAY_OLD = """SELECT (ended AT TIME ZONE 'UTC')::date AS occurred, job_type_id, status, error_id,
    -1 AS delta FROM old_rows WHERE ended IS NOT NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELED')"""


def _add_days(rows: str) -> str:
    """As job_count's triggers: keys that net to zero touch no counter, the rest are
    upserted in one sorted order."""
    return f"""
        INSERT INTO job_day_count AS c (occurred, job_type_id, status, error_id, count)
        SELECT d.occurred, d.job_type_id, d.status, d.error_id, sum(d.delta) FROM ({rows}) d
        GROUP BY d.occurred, d.job_type_id, d.status, d.error_id
        HAVING sum(d.delta) <> 0
        ORDER BY d.occurred, d.job_type_id, d.status, d.error_id
        ON CONFLICT (occurred, job_type_id, status, (COALESCE(error_id, 0)))
        DO UPDATE SET count = c.count + excluded.count;"""


def _ends(start: str, raw_end: str) -> str:
    """The end of an interval that starts at ``start``: null while it lasts, never before
    its start (a timestamp out of order makes it empty, not negative)."""
    return f"CASE WHEN {start} IS NOT NULL AND {raw_end} IS NOT NULL THEN greatest({start}, {raw_end}) END"


def _load_events(table: str, sign: str) -> str:
    """Each row's +1 and -1 (times ``sign``) at the start and end of its PENDING, QUEUED and
    RUNNING intervals (see JobLoadChange)."""
    pending_end = _ends("r.created", "coalesce(r.queued, r.started, r.ended, CASE WHEN r.status <> 'PENDING' THEN r.last_status_change END)")
    queued_end = _ends("r.queued", "coalesce(r.started, r.ended, CASE WHEN r.status <> 'QUEUED' THEN r.last_status_change END)")
    running_end = _ends("r.started", "coalesce(r.ended, CASE WHEN r.status <> 'RUNNING' THEN r.last_status_change END)")
    return f"""SELECT r.job_type_id, e.at, e.pending, e.queued, e.running FROM {table} r
        CROSS JOIN LATERAL (VALUES
            (r.created, {sign}, 0, 0), ({pending_end}, -{sign}, 0, 0),
            (r.queued, 0, {sign}, 0), ({queued_end}, 0, -{sign}, 0),
            (r.started, 0, 0, {sign}), ({running_end}, 0, 0, -{sign})
        ) AS e(at, pending, queued, running)
        WHERE e.at IS NOT NULL"""


def _add_load(rows: str) -> str:
    return f"""
        INSERT INTO job_load_change AS c (hour, job_type_id, pending, queued, running)
        SELECT date_trunc('hour', d.at, 'UTC'), d.job_type_id,
               sum(d.pending), sum(d.queued), sum(d.running) FROM ({rows}) d
        GROUP BY 1, 2
        HAVING sum(d.pending) <> 0 OR sum(d.queued) <> 0 OR sum(d.running) <> 0
        ORDER BY 1, 2
        ON CONFLICT (hour, job_type_id) DO UPDATE SET pending = c.pending + excluded.pending,
            queued = c.queued + excluded.queued, running = c.running + excluded.running;"""


LOAD_NEW = _load_events("new_rows", "1")
LOAD_OLD = _load_events("old_rows", "1")


def _trigger_sql(name: str, insert: str, update: str, delete: str, table: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {insert}
    ELSIF TG_OP = 'UPDATE' THEN {update}
    ELSIF TG_OP = 'DELETE' THEN {delete}
    ELSE
        DELETE FROM {table};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER {name}_insert AFTER INSERT ON job REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_update AFTER UPDATE ON job
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_delete AFTER DELETE ON job REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON job
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
-- ALWAYS: they fire under session_replication_role = replica too (the demo loader's COPY).
ALTER TABLE job ENABLE ALWAYS TRIGGER {name}_insert;
ALTER TABLE job ENABLE ALWAYS TRIGGER {name}_update;
ALTER TABLE job ENABLE ALWAYS TRIGGER {name}_delete;
ALTER TABLE job ENABLE ALWAYS TRIGGER {name}_truncate;
"""


def _drop_sql(name: str) -> str:
    return f"""
DROP TRIGGER {name}_insert ON job;
DROP TRIGGER {name}_update ON job;
DROP TRIGGER {name}_delete ON job;
DROP TRIGGER {name}_truncate ON job;
DROP FUNCTION {name}();
"""


# The old row's intervals are taken back with the sign of the new row's negated: an
# update that changed none of the timestamps, the status or the job type nets to zero.
CREATE_TRIGGERS = (
    _trigger_sql(
        "job_day_count_track",
        _add_days(DAY_NEW), _add_days(f"{DAY_NEW} UNION ALL {DAY_OLD}"), _add_days(DAY_OLD),
        "job_day_count",
    )
    + _trigger_sql(
        "job_load_change_track",
        _add_load(LOAD_NEW),
        _add_load(f"{LOAD_NEW} UNION ALL {_load_events('old_rows', '(-1)')}"),
        _add_load(_load_events("old_rows", "(-1)")),
        "job_load_change",
    )
    + f"""
-- The jobs already there, counted while no one can change them.
LOCK TABLE job IN SHARE MODE;
{_add_days(DAY_NEW.replace("new_rows", "job"))}
{_add_load(LOAD_NEW.replace("new_rows", "job"))}
"""
)
DROP_TRIGGERS = _drop_sql("job_day_count_track") + _drop_sql("job_load_change_track")


class Migration(migrations.Migration):

    dependencies = [
        ("job", "0009_job_day_count_and_load_change"),
    ]

    operations = [
        migrations.RunSQL(CREATE_TRIGGERS, DROP_TRIGGERS),
    ]
