from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db.models import DateTimeField, Value

from error.models import Error
from scale.api.fields import UtcMilliseconds, format_datetime
from tests import factories


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2015, 8, 28, 17, 55, 41, 5999, tzinfo=UTC), "2015-08-28T17:55:41.005Z"),
        (datetime(2015, 1, 1, tzinfo=UTC), "2015-01-01T00:00:00.000Z"),
        (datetime(2015, 8, 28, 12, 55, 41, 999999, tzinfo=timezone(timedelta(hours=-5))),
         "2015-08-28T17:55:41.999Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
        (None, None),
        ("2015-08-28T17:55:41.005Z", "2015-08-28T17:55:41.005Z"),  # UtcMilliseconds' text
    ],
)
def test_datetimes_are_utc_with_milliseconds_and_z(value, text):
    assert format_datetime(value) == text


def test_format_agrees_with_isoformat_across_a_spread_of_moments():
    start = datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    for step in range(2000):
        moment = start + timedelta(days=step * 7, seconds=step * 3607, microseconds=step * 1999)
        expected = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert format_datetime(moment) == expected


@pytest.mark.django_db
def test_postgresql_formats_datetimes_as_format_datetime_does():
    """``UtcMilliseconds`` (``to_char`` in the query) gives the text of ``format_datetime``:
    the edges of the year range, sub-millisecond truncation, other offsets, and a spread."""
    row = factories.ErrorFactory()
    start = datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2015, 8, 28, 17, 55, 41, 999, tzinfo=UTC),
        datetime(2015, 8, 28, 17, 55, 41, 1999, tzinfo=UTC),
        datetime(2016, 2, 29, 0, 30, 0, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2015, 8, 28, 21, 0, tzinfo=timezone(timedelta(hours=-5))),
        *(
            start + timedelta(days=step * 7, seconds=step * 3607, microseconds=step * 1999)
            for step in range(2000)
        ),
    ]
    for first in range(0, len(moments), 100):
        chunk = moments[first : first + 100]
        columns = [UtcMilliseconds(Value(m, output_field=DateTimeField())) for m in chunk]
        formatted = Error.objects.filter(pk=row.pk).values_list(*columns).get()
        assert list(formatted) == [format_datetime(m) for m in chunk]
    assert Error.objects.filter(pk=row.pk).values_list(UtcMilliseconds("created")).get() == (
        format_datetime(row.created),
    )
