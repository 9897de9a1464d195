"""Job data checked against a job interface, as POST /queue/new-job/ needs it (v1.0).

``architecture/job_interface.rst`` and ``job_data.rst``: every required input has an entry,
each entry carries the value its input's type takes (``value`` for a property, ``file_id``
for a file, ``file_ids`` or ``file_id`` for files), every output names a workspace, and
no name is unknown or given twice. ``check_job_data`` reads the JSON alone and lists every
problem it finds, each named by its path in the request body; the files and workspaces it
names are then looked up by the service (``job.services.job_queue_new``), which adds its
own problems to the same list. Nothing here reads or writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scale.api.filters import PG_BIGINT_MAX

SPEC_VERSION = "1.0"
DATA_FIELDS = ("version", "input_data", "output_data")
VALUE_KEYS = {"property": ("value",), "file": ("file_id",), "files": ("file_ids", "file_id")}


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= PG_BIGINT_MAX


def interface_inputs(interface: Any) -> list[dict]:
    """The interface's inputs (entries with a name), in order."""
    return _declared(interface, "input_data")


def interface_outputs(interface: Any) -> list[dict]:
    return _declared(interface, "output_data")


def _declared(interface: Any, key: str) -> list[dict]:
    entries = interface.get(key) if isinstance(interface, dict) else None
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]


def is_required(declared: dict) -> bool:
    return declared.get("required", True) is not False


@dataclass
class CheckedJobData:
    """What ``check_job_data`` found: the problems, and the ids it still has to look up."""

    problems: list[str] = field(default_factory=list)
    # input name -> the file ids given to it with their paths in the body, in order.
    input_files: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # output name -> workspace id.
    output_workspaces: dict[str, int] = field(default_factory=dict)
    workspace_paths: dict[int, list[str]] = field(default_factory=dict)

    @property
    def file_ids(self) -> set[int]:
        return {file_id for given in self.input_files.values() for file_id, _ in given}


def check_job_data(*, interface: Any, data: Any, prefix: str = "job_data") -> CheckedJobData:
    """Every problem of ``data`` against ``interface``, by its path (``job_data.input_data[1]
    .file_id: ...``); an empty ``problems`` when the JSON is valid."""
    checked = CheckedJobData()
    problems = checked.problems
    if not isinstance(data, dict):
        problems.append(f"{prefix}: must be a JSON object with input_data and output_data.")
        return checked
    unexpected = sorted(set(data) - set(DATA_FIELDS))
    if unexpected:
        problems.append(f"{prefix}: unexpected fields {', '.join(unexpected)}; only "
                        f"{', '.join(DATA_FIELDS)} are allowed.")
    if "version" in data and data["version"] != SPEC_VERSION:
        problems.append(f"{prefix}.version: must be {SPEC_VERSION!r}, not {data['version']!r}.")

    inputs = {entry["name"]: entry for entry in interface_inputs(interface)}
    given = _entries(data, "input_data", prefix, problems)
    for index, entry in given:
        path = f"{prefix}.input_data[{index}]"
        name = entry["name"]
        declared = inputs.get(name)
        if declared is None:
            problems.append(f"{path}.name: the job type has no input {name!r}.")
            continue
        _check_input(checked, path, entry, declared)
    given_names = {entry["name"] for _, entry in given}
    for name, declared in inputs.items():
        if is_required(declared) and name not in given_names:
            problems.append(f"{prefix}.input_data: the required input {name!r} is missing.")

    outputs = {entry["name"]: entry for entry in interface_outputs(interface)}
    given = _entries(data, "output_data", prefix, problems)
    for index, entry in given:
        path = f"{prefix}.output_data[{index}]"
        name = entry["name"]
        if name not in outputs:
            problems.append(f"{path}.name: the job type has no output {name!r}.")
            continue
        extra = sorted(set(entry) - {"name", "workspace_id"})
        if extra:
            problems.append(f"{path}: unexpected fields {', '.join(extra)}; an output takes "
                            "name and workspace_id.")
        workspace_id = entry.get("workspace_id")
        if not _is_id(workspace_id):
            problems.append(f"{path}.workspace_id: must be a workspace id (a positive whole "
                            f"number), not {workspace_id!r}.")
            continue
        checked.output_workspaces[name] = workspace_id
        checked.workspace_paths.setdefault(workspace_id, []).append(f"{path}.workspace_id")
    given_names = {entry["name"] for _, entry in given}
    for name in outputs:
        if name not in given_names:
            problems.append(f"{prefix}.output_data: the output {name!r} needs an entry with "
                            "its workspace_id.")
    return checked


def _entries(data: dict, key: str, prefix: str, problems: list[str]) -> list[tuple[int, dict]]:
    """The named entries of ``data[key]`` with their index; problems for the rest."""
    raw = data.get(key, [])
    if not isinstance(raw, list):
        problems.append(f"{prefix}.{key}: must be a list, not {type(raw).__name__}.")
        return []
    entries, seen = [], set()
    for index, entry in enumerate(raw):
        path = f"{prefix}.{key}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{path}: must be a JSON object with a name.")
            continue
        name = entry.get("name")
        if not isinstance(name, str):
            problems.append(f"{path}.name: must be a string, not {name!r}.")
            continue
        if name in seen:
            problems.append(f"{path}.name: {name!r} is given more than once.")
            continue
        seen.add(name)
        entries.append((index, entry))
    return entries


def _check_input(checked: CheckedJobData, path: str, entry: dict, declared: dict) -> None:
    problems = checked.problems
    kind = declared.get("type")
    allowed = VALUE_KEYS.get(kind)
    if allowed is None:
        problems.append(f"{path}: the interface gives input {entry['name']!r} the unknown "
                        f"type {kind!r}.")
        return
    extra = sorted(set(entry) - {"name", *allowed})
    if extra:
        problems.append(f"{path}: unexpected fields {', '.join(extra)}; a {kind} input takes "
                        f"{' or '.join(allowed)}.")
    if kind == "property":
        value = entry.get("value")
        if not isinstance(value, str):
            problems.append(f"{path}.value: the property input needs a string value, "
                            f"not {value!r}.")
        return
    if kind == "file" or "file_ids" not in entry:
        key = "file_id"
        ids = [entry.get("file_id")]
        if "file_id" not in entry:
            problems.append(f"{path}: the {kind} input needs "
                            f"{'file_id' if kind == 'file' else 'file_ids'}.")
            return
    else:
        key = "file_ids"
        ids = entry["file_ids"]
        if not isinstance(ids, list) or not ids:
            problems.append(f"{path}.file_ids: must be a non-empty list of file ids, "
                            f"not {ids!r}.")
            return
    good = []
    for position, file_id in enumerate(ids):
        where = f"{path}.{key}" + (f"[{position}]" if key == "file_ids" else "")
        if not _is_id(file_id):
            problems.append(f"{where}: must be a file id (a positive whole number), "
                            f"not {file_id!r}.")
            continue
        good.append((file_id, where))
    if len({file_id for file_id, _ in good}) != len(good):
        problems.append(f"{path}.{key}: a file is given more than once.")
    checked.input_files[entry["name"]] = good


def media_type_allowed(declared: dict, media_type: str) -> bool:
    allowed = declared.get("media_types") or []
    return not allowed or media_type in allowed
