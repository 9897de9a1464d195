"""Serializer building blocks shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.db import models
from rest_framework import serializers

from scale.api.fields import UtcMillisecondDateTimeField, format_datetime

# Fields whose DRF to_representation returns a database value of the right type as it
# is: for them the compiled plan reads the attribute and nothing more.
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


Reader = Callable[["ScaleModelSerializer", Any], Any]


def _reader(field: serializers.Field) -> Reader:
    """How one field turns an instance into its JSON value, with DRF's semantics.

    A reader takes the serializer that renders (for method fields and nested shapes,
    whose context it carries) and the instance. Fields are read from a prototype built
    once per class, so only stateless parts of them are used here.
    """
    if isinstance(field, serializers.SerializerMethodField):
        method_name = field.method_name
        return lambda serializer, instance: getattr(serializer, method_name)(instance)
    if field.source == "*":
        raise TypeError(f"{field!r}: source='*' is not supported by ScaleModelSerializer")
    get = attrgetter(".".join(field.source_attrs))
    if isinstance(field, UtcMillisecondDateTimeField):
        return lambda serializer, instance: format_datetime(get(instance))
    if isinstance(field, IdObjectField):
        return lambda serializer, instance: None if (v := get(instance)) is None else {"id": v}
    if isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, ScaleModelSerializer
    ):
        child_class = type(field.child)

        def read_many(serializer, instance):
            items = get(instance)
            if isinstance(items, models.Manager):
                items = items.all()
            return serializer.render(child_class, list(items))

        return read_many
    if isinstance(field, ScaleModelSerializer):
        nested_class = type(field)
        return lambda serializer, instance: (
            None if (v := get(instance)) is None else serializer.render_shared(nested_class, v)
        )
    if isinstance(field, _PASS_THROUGH) and not getattr(field, "binary", False):
        return lambda serializer, instance: get(instance)
    if isinstance(field, serializers.BaseSerializer):
        raise TypeError(f"{field!r}: nest a ScaleModelSerializer")
    represent = field.to_representation
    return lambda serializer, instance: None if (v := get(instance)) is None else represent(v)


class ScaleModelSerializer(serializers.ModelSerializer):
    """Read serializers of the API: datetimes as ``2015-08-28T17:55:41.005Z``.

    ``to_representation`` runs a plan compiled once per class from a prototype instead of
    DRF's per-field dispatch, and never builds the serializer's fields again: a DRF
    ModelSerializer builds every field (with its model introspection) for every
    instance, which cost more than rendering a whole job. The output is the same —
    pinned by tests against DRF's own implementation. Fields are still declared the DRF
    way and define the public shape (and the OpenAPI schema).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcMillisecondDateTimeField,
    }

    @classmethod
    def _plan(cls) -> list[tuple[str, Reader]]:
        plan = cls.__dict__.get("_compiled_plan")
        if plan is None:
            prototype = cls()
            plan = [(field.field_name, _reader(field)) for field in prototype._readable_fields]
            cls._compiled_plan = plan
        return plan

    def to_representation(self, instance) -> dict[str, Any]:
        return {name: read(self, instance) for name, read in self._plan()}

    def render(self, serializer_class: type[ScaleModelSerializer], instance) -> Any:
        """Render ``instance`` (or a list of them) with a child serializer of this one.

        The child shares this serializer's context and is made once per parent: one
        instance serves every row of a page.
        """
        children = self.__dict__.setdefault("_children", {})
        child = children.get(serializer_class)
        if child is None:
            child = children[serializer_class] = serializer_class(context=self.context)
        if isinstance(instance, list | tuple):
            return [child.to_representation(item) for item in instance]
        return child.to_representation(instance)

    def render_shared(self, serializer_class: type[ScaleModelSerializer], instance) -> Any:
        """``render`` for a nested object that many rows may share: a page's few job types,
        revisions and errors are one instance each, so each is rendered once per page.

        Rows then hold the same dict, which is only read afterwards (by the renderer).
        The cache keeps the instance itself too, so that its ``id()`` cannot be reused.
        """
        cache = self.__dict__.setdefault("_shared", {})
        key = (serializer_class, id(instance))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = (instance, self.render(serializer_class, instance))
        return hit[1]
