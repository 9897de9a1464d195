"""A database backend that starts the embedded server on first connection.

Starting the server lazily keeps commands that never touch the database (``--help``,
``check``) fast, and lets every process find the running server by itself. Connection
attempts back off during an outage (``scale.postgres.base.OutageAwareMixin``), and so do
attempts to start the server.
"""

from __future__ import annotations

from pathlib import Path

from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import client as postgresql_client

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


class DatabaseClient(postgresql_client.DatabaseClient):
    """``manage.py dbshell``: the psql that pgserver ships, on the server's socket."""

    @classmethod
    def settings_to_cmd_args_env(cls, settings_dict, parameters):
        from pgserver._commands import POSTGRES_BIN_PATH

        pgdata = Path(settings_dict["PGDATA"])
        settings_dict = {
            **settings_dict,
            "HOST": ensure_server(pgdata=pgdata, database=settings_dict["NAME"]),
            "USER": settings_dict.get("USER") or "postgres",
        }
        args, env = super().settings_to_cmd_args_env(settings_dict, parameters)
        return [str(POSTGRES_BIN_PATH / "psql"), *args[1:]], env


class DatabaseWrapper(EmbeddedServerMixin, OutageAwareMixin, postgresql.DatabaseWrapper):
    client_class = DatabaseClient
