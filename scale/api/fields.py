from datetime import UTC, datetime

from rest_framework import serializers


def format_datetime(value: datetime | None) -> str | None:
    """``2015-08-28T17:55:41.005Z``: UTC, milliseconds, ``Z``, as the contract shows."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class UtcMillisecondDateTimeField(serializers.DateTimeField):
    def to_representation(self, value: datetime | None) -> str | None:
        return format_datetime(value)
