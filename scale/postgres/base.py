"""Django's PostgreSQL backend, whose connection attempts back off during an outage."""

from __future__ import annotations

from django.db.backends.postgresql import base as postgresql

from scale import outage


class OutageAwareMixin:
    """Connection attempts that record failures and successes (``scale.outage``) and are
    refused at once, without touching the network, while the backoff holds."""

    def get_new_connection(self, conn_params: dict):
        check_backoff(self.Database.OperationalError)
        try:
            conn = super().get_new_connection(conn_params)
        except self.Database.Error as exc:
            outage.failed(exc)
            raise
        outage.succeeded()
        return conn


def check_backoff(error_class: type[Exception]) -> None:
    wait = outage.seconds_until_next_attempt()
    if wait > 0:
        raise error_class(
            f"the database was unreachable; the next connection attempt is in {wait:.1f} s"
        )


class DatabaseWrapper(OutageAwareMixin, postgresql.DatabaseWrapper):
    pass
