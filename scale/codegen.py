"""Functions written out as Python source, once per process, for the hottest loops.

A serializer's ``to_representation`` and a selector's row builder run for every row of
every page. Written generically they loop over fields and call a small function per
field, which costs more than the fields' own work; written out for one class they are a
single expression per row. The source is built only from the project's own declarations
(field and column names, checked to be identifiers), never from request data.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any


def identifier(name: str) -> str:
    """``name``, if it can be written as a Python attribute or keyword argument."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise TypeError(f"{name!r} is not an identifier, so it cannot be read by name")
    return name


def define(source: str, *, filename: str, namespace: dict[str, Any]) -> Callable:
    """The one function that ``source`` defines, seeing ``namespace`` as its globals.

    ``filename`` names it in tracebacks and profiles (``<job.serializers.JobSerializer>``).
    """
    code = compile(source, filename, "exec")
    defined_before = set(namespace)
    exec(code, namespace)  # noqa: S102 - source built by this project, see the module docstring
    (name,) = set(namespace) - defined_before - {"__builtins__"}
    return namespace[name]
