"""A PostgreSQL database backend that starts the embedded server on first connection.

Starting the server lazily keeps commands that never touch the database (``--help``,
``check``) fast, and lets every process find the running server by itself.
"""

from pathlib import Path

from django.db.backends.postgresql import base as postgresql

from scale.embedded_pg import ensure_server


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        params["host"] = ensure_server(
            pgdata=Path(self.settings_dict["PGDATA"]),
            database=self.settings_dict["NAME"],
        )
        params.setdefault("user", "postgres")
        return params
