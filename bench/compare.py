"""Whether a floor's JSON body is the API's: the same values, key order and number types.

Both bodies are parsed, so whitespace does not count (``json_build_object`` writes
``{"a" : 1}``, the API ``{"a":1}``); everything else does: the order of an object's keys,
and each number's JSON type (``2.0`` is not ``2``: DRF writes a FloatField as a float, and
PostgreSQL writes the float8 ``2.0`` as ``2``).
"""

from __future__ import annotations

import json
from typing import Any


class Obj(list):
    """A JSON object as the list of its (key, value) pairs, in their written order."""


def parse(body: bytes | str) -> Any:
    return json.loads(body, object_pairs_hook=Obj)


def first_difference(api: Any, floor: Any, path: str = "$", later: Any = None) -> str | None:
    """Where two parsed bodies first differ (``$.results[3].cpus_required: ...``), or None.

    ``later`` is the floor's body again, read just after the API's: where the two floors
    have the same shape, the API's number may lie anywhere between theirs. Job type
    details count the jobs of the last hours by the wall clock, and on millions of jobs
    some leave the window every second: the API's count is right when it is one the
    floor had in the meantime."""
    if isinstance(api, Obj) and isinstance(floor, Obj):
        api_keys = [key for key, _ in api]
        floor_keys = [key for key, _ in floor]
        if api_keys != floor_keys:
            return f"{path}: keys differ: API {api_keys} | floor {floor_keys}"
        same_shape = isinstance(later, Obj) and [key for key, _ in later] == floor_keys
        laters = [value for _, value in later] if same_shape else [None] * len(floor)
        for (key, a), (_, b), c in zip(api, floor, laters, strict=True):
            found = first_difference(a, b, f"{path}.{key}", c)
            if found:
                return found
        return None
    if isinstance(api, list) and not isinstance(api, Obj) and isinstance(floor, list) \
            and not isinstance(floor, Obj):
        same_shape = isinstance(later, list) and len(later) == len(floor)
        laters = later if same_shape else [None] * len(floor)
        for index, (a, b, c) in enumerate(zip(api, floor, laters, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]", c)
            if found:
                return found
        if len(api) != len(floor):
            return f"{path}: API has {len(api)} items, floor {len(floor)}"
        return None
    # bool is an int in Python, and 1 == 1.0: the types are compared first.
    if type(api) is int and type(floor) is int and type(later) is int \
            and min(floor, later) <= api <= max(floor, later):
        return None
    if type(api) is not type(floor) or api != floor:
        return f"{path}: API {show(api)} | floor {show(floor)}"
    return None


def show(value: Any) -> str:
    if isinstance(value, Obj):
        value = dict(value)
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:200] + "..."
