from datetime import UTC, datetime, timedelta, timezone

import pytest

from scale.api.fields import format_datetime


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
