"""Reading job data and results against a job type interface (all v1.0).

Interface: ``{"input_data": [{"name", "type": "property"|"file"|"files"}],
"output_data": [{"name", "type": "file"|"files"}]}``. Data: ``{"input_data": [{"name",
"value" | "file_id" | "file_ids"}]}``. Results: ``{"output_data": [{"name", "file_id" |
"file_ids"}]}``. The JSON comes from outside (the scheduler, fixtures), so every reader
here tolerates missing or ill-typed parts instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def referenced_file_ids(*documents: Any) -> set[int]:
    """Every file id that job data (input_data) or results (output_data) reference."""
    ids: set[int] = set()
    for document in documents:
        for key in ("input_data", "output_data"):
            for entry in _entries(document, key):
                ids.update(_ids_of(entry))
    return ids


def merge_with_interface(
    *,
    declared: Iterable[Mapping],
    values: Iterable[Mapping],
    files: Mapping[int, Any],
    render_file: Callable[[Any], dict],
) -> list[dict]:
    """Every declared input (or output), in interface order, with its value.

    ``property`` values are given as they are; ``file`` values as one rendered file (null
    when absent or unknown), ``files`` values as a list of rendered files.
    """
    by_name = {entry["name"]: entry for entry in values}
    merged = []
    for item in declared:
        name, kind = item["name"], item.get("type")
        entry = by_name.get(name)
        if kind in FILE_TYPES:
            found = [render_file(files[i]) for i in _ids_of(entry or {}) if i in files]
            value: Any = found if kind == "files" else (found[0] if found else None)
        else:
            value = entry.get("value") if entry is not None else None
        merged.append({"name": name, "type": kind, "value": value})
    return merged


def declared_inputs(interface: Any) -> list[dict]:
    return _entries(interface, "input_data")


def declared_outputs(interface: Any) -> list[dict]:
    return _entries(interface, "output_data")


def data_inputs(data: Any) -> list[dict]:
    return _entries(data, "input_data")


def result_outputs(results: Any) -> list[dict]:
    return _entries(results, "output_data")
