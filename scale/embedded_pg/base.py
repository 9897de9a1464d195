"""A database backend that starts the embedded server on first connection.

Starting the server lazily keeps commands that never touch the database (``--help``,
``check``) fast, and lets every process find the running server by itself. Connection
attempts back off during an outage (``scale.postgres.base.OutageAwareMixin``), and so do
attempts to start the server.
"""

from __future__ import annotations

from pathlib import Path

from django.db.backends.postgresql import base as postgresql

from scale import outage
from scale.embedded_pg import EmbeddedServerUnavailable, ensure_server
from scale.postgres.base import OutageAwareMixin, check_backoff


class EmbeddedServerMixin:
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        try:
            params["host"] = ensure_server(
                pgdata=Path(self.settings_dict["PGDATA"]),
                database=self.settings_dict["NAME"],
                before_start=lambda: check_backoff(EmbeddedServerUnavailable),
            )
        except EmbeddedServerUnavailable as exc:
            outage.failed(exc)
            raise
        params.setdefault("user", "postgres")
        return params


class DatabaseWrapper(EmbeddedServerMixin, OutageAwareMixin, postgresql.DatabaseWrapper):
    pass
