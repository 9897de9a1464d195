"""Reading job data and results against a job type interface (all v1.0).

Interface: ``{"input_data": [{"name", "type": "property"|"file"|"files"}],
"output_data": [{"name", "type": "file"|"files"}]}``. Data: ``{"input_data": [{"name",
"value" | "file_id" | "file_ids"}]}``. Results: ``{"output_data": [{"name", "file_id" |
"file_ids"}]}``. The JSON comes from outside (the scheduler, fixtures), so every reader
here tolerates missing or ill-typed parts instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FILE_TYPES = ("file", "files")


def _entries(document: Any, key: str) -> list[dict]:
    if not isinstance(document, Mapping):
        return []
    entries = document.get(key)
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping) and isinstance(e.get("name"), str)]


def _ids_of(entry: Mapping) -> list[int]:
    ids: list[Any] = []
    if "file_id" in entry:
        ids.append(entry["file_id"])
    if isinstance(entry.get("file_ids"), list):
        ids.extend(entry["file_ids"])
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


def referenced_file_ids(*documents: Any, within: int) -> set[int]:
    """Every file id from 1 to ``within`` that job data (input_data) or results
    (output_data) reference: the JSON comes from outside, and an id beyond the database's
    range would fail the query that looks it up."""
    ids: set[int] = set()
    for document in documents:
        for key in ("input_data", "output_data"):
            for entry in _entries(document, key):
                ids.update(i for i in _ids_of(entry) if 0 < i <= within)
    return ids


def _merge(*, declared: Iterable[Mapping], values: Iterable[Mapping], files: Mapping[int, Any]):
    """Every declared input (or output), in interface order, with its value.

    ``property`` values are given as they are; ``file`` values as one file of ``files``
    (id → the file as rendered; null when absent or unknown), ``files`` values as a list.
    """
    by_name = {entry["name"]: entry for entry in values}
    merged = []
    for item in declared:
        name, kind = item["name"], item.get("type")
        entry = by_name.get(name)
        value: Any = None  # no entry in the data or results: null, whatever the type
        if entry is not None and kind in FILE_TYPES:
            found = [files[i] for i in _ids_of(entry) if i in files]
            value = found if kind == "files" else (found[0] if found else None)
        elif entry is not None:
            value = entry.get("value")
        merged.append({"name": name, "type": kind, "value": value})
    return merged


def job_inputs(*, interface: Any, data: Any, files: Mapping[int, Any]) -> list[dict]:
    """``inputs`` of a job's details: the interface's inputs with the data's values."""
    return _merge(declared=_entries(interface, "input_data"), values=_entries(data, "input_data"),
                  files=files)


def job_outputs(*, interface: Any, results: Any, files: Mapping[int, Any]) -> list[dict]:
    """``outputs`` of a job's details: the interface's outputs with the results' files."""
    return _merge(declared=_entries(interface, "output_data"),
                  values=_entries(results, "output_data"), files=files)
