"""Serializer building blocks shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from rest_framework import serializers

from scale.api.fields import UtcMillisecondDateTimeField, format_datetime
from scale.codegen import define, identifier

# Fields whose DRF to_representation returns a database value of the right type as it
# is: for them the compiled function reads the attribute and nothing more.
_PASS_THROUGH = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.FloatField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.JSONField,
    serializers.ReadOnlyField,
)


class IdObjectField(serializers.Field):
    """A related object rendered as ``{"id": n}`` (or null) from its FK column: no query."""

    def __init__(self, *, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)

    def to_representation(self, value: int) -> dict[str, int]:
        return {"id": value}


def _expression(field: serializers.Field, namespace: dict[str, Any]) -> str:
    """The Python expression of one field's JSON value, with DRF's semantics.

    It reads ``s``, the serializer that renders (method fields and nested shapes use its
    context), and ``i``, the instance. The objects it calls are put in ``namespace``
    under names of their own. Fields are read from a prototype built once per class, so
    only stateless parts of them are used here.
    """

    def bind(value: Any) -> str:
        name = f"_{len(namespace)}"
        namespace[name] = value
        return name

    if isinstance(field, serializers.SerializerMethodField):
        return f"s.{identifier(field.method_name)}(i)"
    if field.source == "*":
        raise TypeError(f"{field!r}: source='*' is not supported by ScaleModelSerializer")
    value = "i." + ".".join(identifier(attribute) for attribute in field.source_attrs)
    if isinstance(field, UtcMillisecondDateTimeField):
        return f"{bind(format_datetime)}({value})"
    if isinstance(field, IdObjectField):
        return f'(None if (v := {value}) is None else {{"id": v}})'
    if isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, ScaleModelSerializer
    ):
        return f"s.render({bind(type(field.child))}, list({value}))"
    if isinstance(field, ScaleModelSerializer):
        return f"(None if (v := {value}) is None else s.render_shared({bind(type(field))}, v))"
    if isinstance(field, _PASS_THROUGH) and not getattr(field, "binary", False):
        return value
    if isinstance(field, serializers.BaseSerializer):
        raise TypeError(f"{field!r}: nest a ScaleModelSerializer")
    return f"(None if (v := {value}) is None else {bind(field.to_representation)}(v))"


def _compile(serializer_class: type[ScaleModelSerializer]) -> Callable[..., dict[str, Any]]:
    """``to_representation(s, i)`` for the class: one dict display of its fields' values.

    For ``ErrorBriefSerializer`` it reads ``return {'id': i.id, 'name': i.name, ...}``:
    no call per field, which took longer than most fields' own work.
    """
    namespace: dict[str, Any] = {}
    items = "".join(
        f"        {field.field_name!r}: {_expression(field, namespace)},\n"
        for field in serializer_class()._readable_fields
    )
    source = f"def to_representation(s, i):\n    return {{\n{items}    }}\n"
    filename = f"<{serializer_class.__module__}.{serializer_class.__qualname__}>"
    return define(source, filename=filename, namespace=namespace)


class ScaleModelSerializer(serializers.ModelSerializer):
    """Read serializers of the API: datetimes as ``2015-08-28T17:55:41.005Z``.

    ``to_representation`` runs a function compiled once per class from a prototype
    (``_compile``) instead of DRF's per-field dispatch, and never builds the serializer's
    fields again: a DRF ModelSerializer builds every field (with its model introspection)
    for every instance, which cost more than rendering a whole job. The output is the same —
    pinned by tests against DRF's own implementation. Fields are still declared the DRF
    way and define the public shape (and the OpenAPI schema).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcMillisecondDateTimeField,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._children: dict[type, ScaleModelSerializer] = {}  # render's
        self._shared: dict[tuple[type, int], tuple[Any, Any]] = {}  # render_shared's

    @classmethod
    def _compiled(cls) -> Callable[..., dict[str, Any]]:
        compiled = cls.__dict__.get("_compiled_to_representation")
        if compiled is None:
            compiled = cls._compiled_to_representation = _compile(cls)
        return compiled

    def to_representation(self, instance) -> dict[str, Any]:
        return self._compiled()(self, instance)

    def render(self, serializer_class: type[ScaleModelSerializer], instance) -> Any:
        """Render ``instance`` (or a list of them) with a child serializer of this one.

        The child shares this serializer's context and is made once per parent: one
        instance serves every row of a page.
        """
        child = self._children.get(serializer_class)
        if child is None:
            child = self._children[serializer_class] = serializer_class(context=self.context)
        if isinstance(instance, list | tuple):
            return [child.to_representation(item) for item in instance]
        return child.to_representation(instance)

    def render_shared(self, serializer_class: type[ScaleModelSerializer], instance) -> Any:
        """``render`` for a nested object that many rows may share: a page's few job types,
        revisions and errors are one instance each, so each is rendered once per page.

        Rows then hold the same dict, which is only read afterwards (by the renderer).
        The cache keeps the instance itself too, so that its ``id()`` cannot be reused.
        """
        key = (serializer_class, id(instance))
        hit = self._shared.get(key)
        if hit is None:
            hit = self._shared[key] = (instance, self.render(serializer_class, instance))
        return hit[1]
