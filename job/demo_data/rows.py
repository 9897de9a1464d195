"""The rows of the bulk tables, as COPY text, generated unit by unit from one random stream.

A *unit* is a standalone job or a whole recipe, with the trigger event that caused it.
Units come oldest first (ids grow with time, as in a real database) and a unit's place
in the stream sets its age. Times are integer milliseconds, formatted through a
per-minute cache; row text is built with f-strings; weighted choices are lookup tables
indexed by ``random()``: ``datetime.isoformat`` and ``random.choices`` per value would
dominate the run time. Ids are given out here, contiguously per table from the first
free ids the loader passes in, because rows reference each other (job data names file
ids, products name their execution) before anything reaches the database.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from job.demo_data.batch import BULK_TABLES, Batch
from job.demo_data.catalogue import Catalogue, JobTypePlan, RecipeTypePlan, RevisionPlan
from job.models import Job
from job_exe.models import JobExecution

PENDING, BLOCKED, QUEUED, RUNNING, FAILED, COMPLETED, CANCELED = (
    status.value for status in Job.Status
)
_EXE_FAILED = JobExecution.Status.FAILED.value

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Share of units (a standalone job or a whole recipe) that are recipes: with 2-3 jobs per
# recipe this puts about one job in ten in a recipe.
_RECIPE_SHARE = 0.04

# Units are generated oldest first, so ids grow with time as in a real database (and index
# inserts stay near the right edge). A unit's place in the stream sets its age: 70% of the
# jobs spread over days 1-30, 26% over the last day, 4% in the last hour.
_AGE_SEGMENTS = ((0.70, 30 * DAY, DAY), (0.96, DAY, HOUR), (1.0, HOUR, 0))
_AGE_JITTER = 10 * MINUTE
# Work younger than this may still be unfinished; older work has finished (or is blocked).
_RECENT = 12 * HOUR
# What a job that starts a unit ends up as; BLOCKED only happens downstream in a recipe.
_OLD_STATUSES = [COMPLETED] * 83 + [FAILED] * 12 + [CANCELED] * 5
_RECENT_STATUSES = [COMPLETED] * 40 + [QUEUED] * 20 + [RUNNING] * 18 + [PENDING] * 10
_RECENT_STATUSES += [FAILED] * 8 + [CANCELED] * 4
# How many executions a job has, by status (PENDING and BLOCKED jobs never ran).
_EXE_COUNT_TABLES = {
    COMPLETED: [1] * 35 + [2] * 35 + [3] * 20 + [4] * 10,
    FAILED: [1] * 15 + [2] * 25 + [3] * 45 + [4] * 15,
    CANCELED: [1] * 50 + [2] * 30 + [3] * 20,
    RUNNING: [1] * 50 + [2] * 30 + [3] * 20,
    QUEUED: [1] * 40 + [2] * 40 + [3] * 20,
}
# The last jobs take every status once, so that even a tiny dataset shows them all: a
# recipe whose failed second step blocks the third, then four standalone jobs.
_FORCED_RECIPE = (COMPLETED, FAILED)
_FORCED_STANDALONE = (PENDING, QUEUED, RUNNING, CANCELED)
_FORCED_TAIL = 3 + len(_FORCED_STANDALONE)

_EXIT_CODES = (1, 1, 1, 2, 127, 137, 139, 255)
_STDERR = {
    "SYSTEM": "task lost: the node stopped answering",
    "ALGORITHM": "Traceback (most recent call last): ValueError: unexpected value",
    "DATA": "error: input file failed validation",
}
# The newest jobs' executions have their logs (a few KB each; one in _BIG_LOG_EVERY
# executions several MB), as a cluster keeps the logs of recent work: logs for every
# execution of a million jobs would be gigabytes of text.
_LOGGED_JOBS = 10_000
_UNSCHEDULED = "\t".join(["\\N"] * 5)
_BIG_LOG_EVERY = 1_500
_BIG_LOG_LINES = 40_000
_DATA_TYPES = ("", "", "sentinel1,sar", "sar", "landsat8,optical", "optical", "ocean", "test")
_USERS = ("alice", "bob", "operator")
_SEC_MS = [f"{s:02d}.{ms:03d}+00" for s in range(60) for ms in range(1000)]


def _json(value: object) -> str:
    """JSON for a COPY text column (backslashes are COPY's escape character)."""
    text = orjson.dumps(value).decode()
    return text.replace("\\", "\\\\") if "\\" in text else text


class _Clock:
    """Formats epoch milliseconds as timestamptz text through a per-minute cache.

    ``datetime.isoformat`` per value would dominate the run time; a few tens of thousands
    of distinct minutes cover the whole dataset. ``text`` is a closure, not a method: it
    runs some forty times per job.
    """

    def __init__(self) -> None:
        minutes: dict[int, tuple[str, str, str]] = {}
        cached = minutes.get
        seconds = _SEC_MS

        def minute(ms: int) -> tuple[str, str, str]:
            """(``YYYY-MM-DD HH:MM:``, ``YYYYMMDDTHHMM``, ``YYYY/MM/DD``) of ``ms``'s minute."""
            key = ms // MINUTE
            entry = cached(key)
            if entry is None:
                text = datetime.fromtimestamp(key * 60, tz=UTC).strftime("%Y-%m-%d %H:%M:")
                year, month, day, hour, mins = (
                    text[:4],
                    text[5:7],
                    text[8:10],
                    text[11:13],
                    text[14:16],
                )
                entry = (text, f"{year}{month}{day}T{hour}{mins}", f"{year}/{month}/{day}")
                minutes[key] = entry
            return entry

        def text(ms: int | None) -> str:
            if ms is None:
                return "\\N"
            entry = cached(ms // MINUTE) or minute(ms)
            return entry[0] + seconds[ms % MINUTE]

        self.minute = minute
        self.text = text


@dataclass
class _ExePlan:
    """One execution's timeline in milliseconds relative to its unit; None = not reached."""

    status: str
    queued: int
    started: int | None = None
    ended: int | None = None
    last_modified: int = 0
    pre: tuple[int | None, int | None, int | None] = (None, None, None)
    job: tuple[int | None, int | None, int | None] = (None, None, None)
    post: tuple[int | None, int | None, int | None] = (None, None, None)
    error_id: int | None = None
    node_id: int | None = None
    stderr: str | None = None


@dataclass
class _JobPlan:
    """One job's status and timeline, relative to its unit, before ids are given out."""

    job_type: JobTypePlan
    revision: RevisionPlan
    status: str
    created: int
    exes: list[_ExePlan]
    queued: int | None = None
    started: int | None = None
    ended: int | None = None
    last_status_change: int = 0
    last_modified: int = 0
    error_id: int | None = None
    job_name: str = ""


class RowGenerator:
    """Turns one random stream into rows, unit by unit (a standalone job or a recipe)."""

    def __init__(self, *, catalogue: Catalogue, seed: int, now_ms: int, total_jobs: int) -> None:
        self._cat = catalogue
        self._rng = random.Random(seed)
        self._now = now_ms
        self._clock = _Clock()
        self._total = total_jobs
        self.remaining = total_jobs
        self._forced_recipe = list(_FORCED_RECIPE)
        self._forced_standalone = list(_FORCED_STANDALONE)
        self.next_ids: dict[str, int] = {}
        self._rows: dict[str, list[str]] = {}
        self._statuses: list[str] = []
        self._product_count = 0
        # Executions given logs so far, and the count at which the next big log is due.
        self._logged = (0, 1)

    # -- batches ------------------------------------------------------------------------

    def batch(self, *, first_ids: dict[str, int], min_jobs: int) -> Batch:
        """Rows of whole units until at least ``min_jobs`` jobs (or the end) are reached.

        Batches end on unit boundaries, so the stream, and with it the rows, does not
        depend on the batch size. ``restore(batch.state)`` rewinds to the batch's start.
        """
        state = (
            self._rng.getstate(),
            self.remaining,
            tuple(self._forced_recipe),
            tuple(self._forced_standalone),
            self._logged,
        )
        self.next_ids = dict(first_ids)
        self._rows = {table: [] for table in BULK_TABLES}
        self._statuses = []
        self._product_count = 0
        jobs = 0
        while self.remaining and jobs < min_jobs:
            plans, recipe_type, age = self._unit()
            self._emit_unit(plans, recipe_type, age)
            jobs += len(plans)
            self.remaining -= len(plans)
        return Batch(
            first_ids=dict(first_ids),
            next_ids=dict(self.next_ids),
            rows={table: "".join(lines) for table, lines in self._rows.items()},
            counts={table: len(lines) for table, lines in self._rows.items()},
            statuses=Counter(self._statuses),
            product_files=self._product_count,
            state=state,
            remaining=self.remaining,
        )

    def restore(self, state: tuple) -> None:
        rng_state, self.remaining, forced_recipe, forced_standalone, self._logged = state
        self._rng.setstate(rng_state)
        self._forced_recipe = list(forced_recipe)
        self._forced_standalone = list(forced_standalone)

    def _take_id(self, table: str) -> int:
        next_id = self.next_ids[table]
        self.next_ids[table] = next_id + 1
        return next_id

    # -- planning (relative times) ------------------------------------------------------

    def _unit(self) -> tuple[list[_JobPlan], RecipeTypePlan | None, int]:
        """The next unit's job plans, its recipe type (or None) and its age in ms."""
        rnd = self._rng.random
        age = self._age()
        statuses = _RECENT_STATUSES if age < _RECENT else _OLD_STATUSES
        recipe_types = self._cat.recipe_types
        forced = self.remaining <= _FORCED_TAIL
        if forced and self._forced_recipe:
            recipe_type = max(recipe_types, key=lambda r: len(r.steps))
            steps = recipe_type.steps[: self.remaining]
            return self._recipe_plans(steps, self._forced_recipe), recipe_type, age
        if not forced and rnd() < _RECIPE_SHARE:
            recipe_type = recipe_types[int(rnd() * len(recipe_types))]
            # Normal units stop short of the forced tail.
            steps = recipe_type.steps[: self.remaining - _FORCED_TAIL]
            return self._recipe_plans(steps, statuses), recipe_type, age
        if forced and self._forced_standalone:
            status = self._forced_standalone.pop(0)
        else:
            status = statuses[int(rnd() * len(statuses))]
        job_type = self._cat.standalone_table[int(rnd() * len(self._cat.standalone_table))]
        revisions = job_type.revisions
        # Most jobs run the latest revision; older ones still show up.
        revision = revisions[-1] if rnd() < 0.7 else revisions[int(rnd() * len(revisions))]
        created = int(rnd() * 5 * SECOND)
        plan = self._job_plan(job_type, revision, status, created, created)
        return [plan], None, age

    def _age(self) -> int:
        """How long before ``now`` the next unit was last touched, from its place in the stream."""
        position = (self._total - self.remaining) / self._total
        low = 0.0
        for high, oldest, youngest in _AGE_SEGMENTS:
            if position < high or high == 1.0:
                age = oldest - (position - low) / (high - low) * (oldest - youngest)
                break
            low = high
        return abs(int(age + (self._rng.random() - 0.5) * 2 * _AGE_JITTER))

    def _recipe_plans(
        self, steps: Sequence[tuple[str, JobTypePlan]], statuses: list[str]
    ) -> list[_JobPlan]:
        """All steps are created with the recipe; each runs once the one before completed.

        ``statuses`` is a table to draw from, or the forced statuses, consumed in order.
        """
        rnd = self._rng.random
        forced = statuses is self._forced_recipe
        plans: list[_JobPlan] = []
        created = int(rnd() * 5 * SECOND)
        previous: _JobPlan | None = None
        for job_name, job_type in steps:
            revision = job_type.revisions[-1]
            if previous is None or previous.status == COMPLETED:
                if forced:
                    status = statuses.pop(0)
                else:
                    status = statuses[int(rnd() * len(statuses))]
                start = created if previous is None else previous.last_status_change
                plan = self._job_plan(job_type, revision, status, created, start)
            else:
                waiting = previous.status in (PENDING, QUEUED, RUNNING)
                status = PENDING if waiting else BLOCKED
                plan = self._job_plan(job_type, revision, status, created, created)
                if status == BLOCKED:
                    # Blocked when the step before failed (or was blocked itself).
                    plan.last_status_change = previous.last_status_change
                    plan.last_modified = plan.last_status_change + int(rnd() * SECOND)
            plan.job_name = job_name
            plans.append(plan)
            previous = plan
        return plans

    def _job_plan(
        self, job_type: JobTypePlan, revision: RevisionPlan, status: str, created: int, start: int
    ) -> _JobPlan:
        """A job's executions and timestamps; ``start`` is when it could first be queued."""
        rnd = self._rng.random
        plan = _JobPlan(job_type, revision, status, created, [])
        if status in (PENDING, BLOCKED):
            plan.last_status_change = created
            plan.last_modified = created + int(rnd() * SECOND)
            return plan
        table = _EXE_COUNT_TABLES[status]
        count = table[int(rnd() * len(table))]
        at = start + 50 + int(rnd() * 5 * SECOND)
        for index in range(count):
            exe_status = status if index == count - 1 else _EXE_FAILED
            exe = self._exe_plan(job_type, exe_status, at)
            plan.exes.append(exe)
            # Retried after a back-off.
            at = exe.last_modified + 5 * SECOND + int(rnd() * 2 * MINUTE)
        last = plan.exes[-1]
        plan.queued, plan.started, plan.ended = last.queued, last.started, last.ended
        if status in (COMPLETED, FAILED, CANCELED):
            plan.last_status_change = last.ended
        elif status == RUNNING:
            plan.last_status_change = last.started
        else:
            plan.last_status_change = last.queued
        if status == FAILED:
            plan.error_id = last.error_id
        plan.last_modified = max(plan.last_status_change, last.last_modified) + int(
            rnd() * 2 * SECOND
        )
        return plan

    def _exe_plan(self, job_type: JobTypePlan, status: str, queued: int) -> _ExePlan:
        rnd = self._rng.random
        exe = _ExePlan(status=status, queued=queued, last_modified=queued)
        if status == QUEUED:
            return exe
        if status == CANCELED and rnd() < 0.4:
            # Canceled while still waiting in the queue.
            exe.ended = exe.last_modified = queued + 10 * SECOND + int(rnd() * 30 * MINUTE)
            return exe
        nodes = self._cat.node_ids
        exe.node_id = nodes[int(rnd() * len(nodes))]
        started = queued + 500 + int(rnd() ** 3 * 5 * MINUTE)
        exe.started = started
        pre_end = started + 2 * SECOND + int(rnd() * 18 * SECOND)
        job_start = pre_end + 100 + int(rnd() * 2 * SECOND)
        low, high = job_type.runtime_ms
        job_end = job_start + low + int(rnd() * (high - low))
        post_start = job_end + 100 + int(rnd() * 2 * SECOND)
        post_end = post_start + SECOND + int(rnd() * 14 * SECOND)
        if status == COMPLETED:
            exe.pre, exe.job = (started, pre_end, 0), (job_start, job_end, 0)
            exe.post = (post_start, post_end, 0)
            exe.ended = exe.last_modified = post_end + int(rnd() * 500)
        elif status == RUNNING:
            phase = rnd()
            if phase < 0.15:
                exe.pre = (started, None, None)
                exe.last_modified = started
            elif phase < 0.9:
                exe.pre, exe.job = (started, pre_end, 0), (job_start, None, None)
                exe.last_modified = job_start
            else:
                exe.pre, exe.job = (started, pre_end, 0), (job_start, job_end, 0)
                exe.post = (post_start, None, None)
                exe.last_modified = post_start
        elif status == CANCELED:
            exe.pre, exe.job = (started, pre_end, 0), (job_start, None, None)
            exe.ended = exe.last_modified = job_start + int(rnd() * (job_end - job_start))
        else:
            self._fail(exe, started, pre_end, job_start, job_end, post_start, post_end)
        return exe

    def _fail(
        self,
        exe: _ExePlan,
        started: int,
        pre_end: int,
        job_start: int,
        job_end: int,
        post_start: int,
        post_end: int,
    ) -> None:
        """A failure in one of the three phases; who is to blame follows from the phase."""
        rnd = self._rng.random
        code = _EXIT_CODES[int(rnd() * len(_EXIT_CODES))]
        phase = rnd()
        if phase < 0.25:
            category = "SYSTEM"
            exe.pre = (started, pre_end, code)
            ended = pre_end
        elif phase < 0.85:
            category = "ALGORITHM" if rnd() < 0.6 else "DATA"
            exe.pre, exe.job = (started, pre_end, 0), (job_start, job_end, code)
            ended = job_end
        else:
            category = "DATA" if rnd() < 0.5 else "SYSTEM"
            exe.pre, exe.job = (started, pre_end, 0), (job_start, job_end, 0)
            exe.post = (post_start, post_end, code)
            ended = post_end
        errors = self._cat.error_ids[category]
        exe.error_id = errors[int(rnd() * len(errors))]
        exe.ended = exe.last_modified = ended + int(rnd() * 500)
        if rnd() < 0.5:
            exe.stderr = _STDERR[category]

    # -- emitting (absolute times, ids, row text) ---------------------------------------

    def _emit_unit(
        self, plans: list[_JobPlan], recipe_type: RecipeTypePlan | None, age: int
    ) -> None:
        rnd = self._rng.random
        shift = self._now - age - max(plan.last_modified for plan in plans)
        event_id = self._take_id("trigger_event")
        occurred = plans[0].created + shift - 100 - int(rnd() * MINUTE)
        first_files: list[tuple[int, str]] = []
        job_ids: list[int] = []
        for plan in plans:
            job_id, files = self._emit_job(plan, shift, event_id, occurred)
            job_ids.append(job_id)
            first_files.extend(files)
        self._emit_event(event_id, plans[0].job_type, occurred, first_files)
        if recipe_type is not None:
            self._emit_recipe(recipe_type, plans, job_ids, event_id, shift, first_files)

    def _emit_event(
        self, event_id: int, job_type: JobTypePlan, occurred: int, files: list[tuple[int, str]]
    ) -> None:
        rnd = self._rng.random
        event_type = job_type.event_type
        rule_id: int | None = None
        rules = self._cat.rule_ids.get(event_type, ())
        if rnd() < 0.12 or (event_type != "STRIKE_TRANSFER" and not (files and rules)):
            # Users resubmit work by hand: those events have no rule.
            event_type = "USER"
            description: dict = {"user": _USERS[int(rnd() * len(_USERS))], "reason": "reprocess"}
        elif event_type == "STRIKE_TRANSFER":
            # Strike (the file watcher) raises its events itself, without a rule.
            description = {"version": "1.0", "strike_id": 1, "transfers": 1}
        else:
            rule_id = rules[int(rnd() * len(rules))]
            description = {"version": "1.0", "file_id": files[0][0], "file_name": files[0][1]}
        rule = "\\N" if rule_id is None else rule_id
        self._rows["trigger_event"].append(
            f"{event_id}\t{event_type}\t{rule}\t{_json(description)}\t{self._clock.text(occurred)}\n"
        )

    def _emit_job(
        self, plan: _JobPlan, shift: int, event_id: int, occurred: int
    ) -> tuple[int, list[tuple[int, str]]]:
        rnd = self._rng.random
        ts = self._clock.text
        cat = self._cat
        job_type, revision = plan.job_type, plan.revision
        job_id = self._take_id("job")
        created = plan.created + shift

        def at(relative: int | None) -> str:
            return "\\N" if relative is None else ts(relative + shift)

        input_data: list[dict] = []
        input_files: list[tuple[int, str]] = []
        disk_in = 0
        links = self._rows["job_input_file"]
        for name, kind, required, media in revision.inputs:
            if not required and rnd() < 0.3:
                continue
            if kind == "property":
                input_data.append({"name": name, "value": cat.property_value(name, rnd())})
                continue
            count = 1 if kind == "file" else 2 + int(rnd() * 2)
            shared = cat.shared_files.get(name)
            # Reference data (training sets) is reused by every job that needs it.
            start = int(rnd() * len(shared)) if shared else 0
            ids = []
            for index in range(count):
                if shared:
                    file_id, file_name, size = shared[(start + index) % len(shared)]
                else:
                    file_id, file_name, size = self._source_file(media, occurred)
                    input_files.append((file_id, file_name))
                ids.append(file_id)
                disk_in += size
                links.append(f"{self._take_id('job_input_file')}\t{job_id}\t{file_id}\t{name}\n")
            if kind == "file":
                input_data.append({"name": name, "file_id": ids[0]})
            else:
                input_data.append({"name": name, "file_ids": ids})
        products_ws = cat.products_workspace_id
        data = {
            "version": "1.0",
            "input_data": input_data,
            "output_data": [{"name": o[0], "workspace_id": products_ws} for o in revision.outputs],
        }

        disk_in_mb = round(disk_in / 1048576, 1)
        disk_out = round(job_type.disk_out_const + job_type.disk_out_mult * disk_in_mb, 1)
        # What the scheduler set aside for an execution it started: the job's requirements.
        scheduled = (
            f"{job_type.cpus}\t{job_type.mem}\t{disk_in_mb}\t{disk_out}\t"
            f"{round(disk_in_mb + disk_out, 1)}"
        )
        exe_ids = []
        exe_rows = self._rows["job_exe"]
        for exe in plan.exes:
            exe_id = self._take_id("job_exe")
            exe_ids.append(exe_id)
            pre, job, post = exe.pre, exe.job, exe.post
            queued = ts(exe.queued + shift)
            if self.remaining <= _LOGGED_JOBS and exe.started is not None:
                logged, big_due = self._logged
                logged += 1
                big = logged >= big_due and job[0] is not None  # its job task ran
                self._logged = (logged, logged + _BIG_LOG_EVERY if big else big_due)
                stdout, stderr = _logs(exe, job_type.name, at, big=big)
            else:
                stdout, stderr = "\\N", _n(exe.stderr)
            exe_rows.append(
                f"{exe_id}\t{job_id}\t{exe.status}\t{_n(exe.error_id)}\t{_n(exe.node_id)}\t"
                f"{revision.command_arguments}\t{job_type.timeout}\t"
                f"{at(pre[0])}\t{at(pre[1])}\t{_n(pre[2])}\t"
                f"{at(job[0])}\t{at(job[1])}\t{_n(job[2])}\t"
                f"{at(post[0])}\t{at(post[1])}\t{_n(post[2])}\t"
                f"{queued}\t{queued}\t{at(exe.started)}\t{at(exe.ended)}\t"
                f"{ts(exe.last_modified + shift)}\t{stdout}\t{stderr}\t"
                f"{_UNSCHEDULED if exe.started is None else scheduled}\n"
            )

        results = _json({})
        if plan.status == COMPLETED:
            last = plan.exes[-1]
            results = _json(
                {
                    "version": "1.0",
                    "output_data": self._products(
                        plan, job_id, exe_ids[-1], last.post[0] + shift, input_files
                    ),
                }
            )
        priority = job_type.priority if rnd() < 0.9 else (1, 50, 200)[int(rnd() * 3)]
        self._rows["job"].append(
            f"{job_id}\t{job_type.id}\t{revision.id}\t{event_id}\t{_n(plan.error_id)}\t"
            f"{plan.status}\t{priority}\t{len(plan.exes)}\t{job_type.timeout}\t"
            f"{max(job_type.max_tries, len(plan.exes))}\t{job_type.cpus}\t{job_type.mem}\t"
            f"{disk_in_mb}\t{disk_out}\t{_json(data)}\t{results}\t{ts(created)}\t"
            f"{at(plan.queued)}\t{at(plan.started)}\t"
            f"{at(plan.ended)}\t{ts(plan.last_status_change + shift)}\t"
            f"{ts(plan.last_modified + shift)}\n"
        )
        self._statuses.append(plan.status)
        return job_id, input_files

    def _source_file(self, media: str, occurred: int) -> tuple[int, str, int]:
        """A file that arrived in the raw workspace shortly before its event."""
        rnd = self._rng.random
        kind = self._cat.media[media]
        file_id = self._take_id("scale_file")
        uuid = f"{self._rng.getrandbits(128):032x}"
        created = occurred - SECOND - int(rnd() * HOUR)
        data_ended = created - MINUTE - int(rnd() * 6 * HOUR)
        data_started = data_ended - 10 * SECOND - int(rnd() * 50 * SECOND)
        _, stamp, day = self._clock.minute(data_started)
        stem = kind.stems[int(rnd() * len(kind.stems))]
        file_name = f"{stem}_{stamp}_{uuid[:6]}.{kind.extension}"
        size = kind.size[0] + int(rnd() * (kind.size[1] - kind.size[0]))
        data_type = _DATA_TYPES[int(rnd() * len(_DATA_TYPES))]
        if rnd() < 0.6:
            lon, lat = int(rnd() * 34000) - 17000, int(rnd() * 14000) - 7000
            geometry = (
                f"POLYGON(({lon / 100:.2f} {lat / 100:.2f}, {lon / 100 + 1:.2f} {lat / 100:.2f}, "
                f"{lon / 100 + 1:.2f} {lat / 100 + 1:.2f}, {lon / 100:.2f} {lat / 100 + 1:.2f}, "
                f"{lon / 100:.2f} {lat / 100:.2f}))"
            )
            center = f"POINT({lon / 100 + 0.5:.2f} {lat / 100 + 0.5:.2f})"
        else:
            geometry = center = "\\N"
        meta = (
            f'{{"sensor": "{stem[:3]}", "orbit": {int(rnd() * 60000)}, '
            f'"cloud_cover": {int(rnd() * 1000) / 10}}}'
        )
        ts = self._clock.text
        self._rows["scale_file"].append(
            f"{file_id}\t{self._cat.raw_workspace_id}\t{file_name}\t{day}/{file_name}\t{media}\t"
            f"{size}\t{data_type}\tf\t{uuid}\t{ts(created)}\t\\N\t{ts(data_started)}\t"
            f"{ts(data_ended)}\t{geometry}\t{center}\t{meta}\t{ts(created)}\t"
            f"\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"
        )
        return file_id, file_name, size

    def _products(
        self, plan: _JobPlan, job_id: int, exe_id: int, at: int, inputs: list[tuple[int, str]]
    ) -> list[dict]:
        """The files a completed job wrote to the products workspace, as results entries."""
        rnd = self._rng.random
        ts = self._clock.text
        job_type = plan.job_type
        rows = self._rows["scale_file"]
        operational = "t" if job_type.is_operational else "f"
        _, stamp, day = self._clock.minute(at)
        output_data = []
        for name, kind, media in plan.revision.outputs:
            kind_info = self._cat.media[media]
            extension = kind_info.extension
            count = 1 if kind == "file" else (2 if rnd() < 0.75 else 3)
            ids = []
            for index in range(count):
                file_id = self._take_id("scale_file")
                ids.append(file_id)
                uuid = f"{self._rng.getrandbits(128):032x}"
                created = at + int(rnd() * SECOND)
                file_name = f"{job_type.name}_{name}_{stamp}_{index}_{uuid[:6]}.{extension}"
                size = kind_info.size[0] + int(rnd() * (kind_info.size[1] - kind_info.size[0]))
                published = rnd() < 0.95
                data_type = _DATA_TYPES[int(rnd() * len(_DATA_TYPES))]
                source = inputs[0][1] if inputs else ""
                rows.append(
                    f"{file_id}\t{self._cat.products_workspace_id}\t{file_name}\t"
                    f"{job_type.name}/{day}/{job_id}/{file_name}\t{media}\t{size}\t{data_type}\t"
                    f"f\t{uuid}\t{ts(created)}\t\\N\t\\N\t\\N\t\\N\t\\N\t"
                    f'{{"job_type": "{job_type.name}", "output": "{name}", "source": "{source}"}}\t'
                    f"{ts(created)}\t{job_type.id}\t{job_id}\t{exe_id}\t{operational}\t"
                    f"{'t' if published else 'f'}\t{ts(created) if published else chr(92) + 'N'}"
                    f"\t\\N\n"
                )
            self._product_count += count
            if kind == "file":
                output_data.append({"name": name, "file_id": ids[0]})
            else:
                output_data.append({"name": name, "file_ids": ids})
        return output_data

    def _emit_recipe(
        self,
        recipe_type: RecipeTypePlan,
        plans: list[_JobPlan],
        job_ids: list[int],
        event_id: int,
        shift: int,
        files: list[tuple[int, str]],
    ) -> None:
        ts = self._clock.text
        recipe_id = self._take_id("recipe")
        created = plans[0].created + shift
        done = all(plan.status == COMPLETED for plan in plans)
        completed = ts(max(plan.ended for plan in plans) + shift) if done else "\\N"
        last_modified = max(plan.last_modified for plan in plans) + shift
        input_data = [{"name": "input_file", "file_id": files[0][0]}] if files else []
        data = {"version": "1.0", "input_data": input_data}
        self._rows["recipe"].append(
            f"{recipe_id}\t{recipe_type.id}\t{event_id}\t{_json(data)}\t{ts(created)}\t"
            f"{completed}\t{ts(last_modified)}\n"
        )
        rows = self._rows["recipe_job"]
        for plan, job_id in zip(plans, job_ids, strict=True):
            rows.append(f"{self._take_id('recipe_job')}\t{recipe_id}\t{job_id}\t{plan.job_name}\n")


def _n(value: object) -> str:
    return "\\N" if value is None else str(value)


def _logs(exe: _ExePlan, job_type: str, at, *, big: bool) -> tuple[str, str]:
    """The stdout and stderr of an execution that started, as COPY text (newlines
    escaped): its pre-task, job task and post-task as far as it got, at their times."""
    out: list[str] = []
    err: list[str] = []
    (pre_start, pre_end, pre_code), (job_start, job_end, job_code) = exe.pre, exe.job
    post = exe.post
    node = exe.node_id
    out.append(f"{at(pre_start)} INFO scale-pre-steps: preparing {job_type} on node {node}")
    for number in range(1, 13):
        out.append(f"{at(pre_start)} INFO scale-pre-steps: staged input file {number} of 12 "
                   f"({number * 3_145_728} bytes) into /scale/input_data")
    if pre_end is not None:
        out.append(f"{at(pre_end)} INFO scale-pre-steps: done, exit code {pre_code}")
    if job_start is not None:
        out.append(f"{at(job_start)} INFO {job_type}: started, reading /scale/input_data")
        tiles = _BIG_LOG_LINES if big else 24
        for tile in range(1, tiles + 1):
            out.append(f"{at(job_start)} INFO {job_type}: tile {tile} of {tiles} processed, "
                       f"{tile % 97} features, checksum {tile * 2654435761 % 2**32:08x}")
            if tile % 8 == 0:
                err.append(f"{at(job_start)} WARNING {job_type}: tile {tile}: no-data pixels "
                           f"filled ({tile % 13} percent)")
    if job_end is not None:
        out.append(f"{at(job_end)} INFO {job_type}: finished, exit code {job_code}")
    if post[0] is not None:
        out.append(f"{at(post[0])} INFO scale-post-steps: storing products in the workspace")
    if post[1] is not None:
        out.append(f"{at(post[1])} INFO scale-post-steps: done, exit code {post[2]}")
    if exe.stderr is not None:
        err.append(f"{at(exe.ended)} ERROR {exe.stderr}")
    return "\\n".join(out), "\\n".join(err) if err else "\\N"
