"""Serializer building blocks shared by the apps."""

from django.db import models
from rest_framework import serializers

from scale.api.fields import UtcMillisecondDateTimeField


class IdObjectField(serializers.Field):
    """A related object rendered as ``{"id": n}`` (or null) from its FK column: no query."""

    def __init__(self, *, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)

    def to_representation(self, value: int) -> dict[str, int]:
        return {"id": value}


class ScaleModelSerializer(serializers.ModelSerializer):
    """Read serializers of the API: datetimes as ``2015-08-28T17:55:41.005Z``."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcMillisecondDateTimeField,
    }
