"""What counts as an outage: the connection failing, not the server refusing a query."""

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from scale import outage


@pytest.mark.django_db
def test_a_statement_timeout_on_a_live_connection_is_not_an_outage():
    with pytest.raises(OperationalError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '10ms'")
            cursor.execute("SELECT pg_sleep(1)")
    assert caught.value.__cause__.sqlstate == "57014"
    assert not outage.is_database_unavailable(caught.value)


@pytest.mark.django_db
def test_a_query_the_server_never_answered_is_an_outage_while_the_connection_looks_open():
    # What psycopg raises when the server dies as a query is sent: no SQLSTATE, and the
    # connection not yet marked closed (seen in test_crash_durability's gunicorn log).
    connection.ensure_connection()
    assert not connection.connection.closed
    try:
        raise psycopg.OperationalError(
            "sending query failed: server closed the connection unexpectedly"
        )
    except psycopg.OperationalError as driver_error:
        try:
            raise OperationalError(*driver_error.args) from driver_error
        except OperationalError as wrapped:
            assert outage.is_database_unavailable(wrapped)


def test_an_error_that_is_not_the_databases_is_not_an_outage():
    assert not outage.is_database_unavailable(ValueError("bad input"))
