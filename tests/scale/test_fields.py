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
        (None, None),
    ],
)
def test_datetimes_are_utc_with_milliseconds_and_z(value, text):
    assert format_datetime(value) == text
