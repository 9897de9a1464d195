"""Serializer building blocks shared by the apps: the base of every response shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet
from rest_framework import serializers

from scale.api.fields import UtcMillisecondDateTimeField
from scale.api.rendering import JSONObject, Ref

Rows = Callable[[Any], QuerySet]
"""The rows of a to-many relation for one object (its pk, or ``OuterRef("pk")``)."""


def one_level_deeper(parent: Any) -> Any:
    """The parent given to a ``rows`` function, as a subquery inside those rows must name
    it: ``OuterRef("pk")`` becomes ``OuterRef(OuterRef("pk"))``; a pk stays as it is."""
    return OuterRef(parent) if isinstance(parent, OuterRef) else parent


class RowsListSerializer(serializers.ListSerializer):
    """A ``many=True`` nested serializer whose child names its ``rows``: it renders those."""

    def get_attribute(self, instance):
        rows = getattr(self.child, "rows", None)
        return super().get_attribute(instance) if rows is None else rows(instance.pk)


class RowsMixin:
    """Nested under another serializer, a serializer may name the rows of a to-many
    relation: ``rows=lambda job: JobExecution.objects.filter(job=job).order_by("-created")``,
    called with the parent's primary key (DRF) or with ``OuterRef("pk")`` (PostgreSQL). With
    ``many=True`` it renders all of them in that order, otherwise the first one or null.
    """

    def __init__(self, *args, rows: Rows | None = None, **kwargs) -> None:
        self.rows = rows
        super().__init__(*args, **kwargs)

    @classmethod
    def many_init(cls, *args, **kwargs):
        # DRF's many_init with RowsListSerializer: the child keeps ``rows``.
        list_kwargs = {
            key: kwargs.pop(key)
            for key in serializers.LIST_SERIALIZER_KWARGS_REMOVE
            if kwargs.get(key) is not None
        }
        list_kwargs["child"] = cls(*args, **kwargs)
        shared = serializers.LIST_SERIALIZER_KWARGS
        list_kwargs.update({key: value for key, value in kwargs.items() if key in shared})
        return RowsListSerializer(*args, **list_kwargs)

    def get_attribute(self, instance):
        if self.rows is None:
            return super().get_attribute(instance)
        return self.rows(instance.pk).first()


class ScaleSerializer(RowsMixin, serializers.ModelSerializer):
    """A response shape of a model: datetimes as ``2015-08-28T17:55:41.005Z``, rendered by
    plain DRF or by PostgreSQL (``scale.api.rendering``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcMillisecondDateTimeField,
    }


class RowsSerializer(RowsMixin, serializers.Serializer):
    """A response shape of rows that are no model's (``values()`` of an aggregate)."""


class IdObjectField(serializers.Field):
    """A related object rendered as ``{"id": n}`` (or null) from its FK column: no query."""

    def __init__(self, *, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)

    def to_representation(self, value: int) -> dict[str, int]:
        return {"id": value}

    def json_sql(self, ref: Ref):
        column = ref(self.source)
        return models.Case(
            models.When(**{f"{column.name}__isnull": False}, then=JSONObject([("id", column)]))
        )
