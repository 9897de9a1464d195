"""The embedded server's backend with a pool of sessions per process (see
``scale.postgres.pooled``), for the gevent workers that serve the API."""

from django.db.backends.postgresql import base as postgresql

from scale.embedded_pg.base import DatabaseClient, EmbeddedServerMixin
from scale.postgres.base import OutageAwareMixin
from scale.postgres.pooled.base import PooledMixin


class DatabaseWrapper(EmbeddedServerMixin, OutageAwareMixin, PooledMixin,
                      postgresql.DatabaseWrapper):
    client_class = DatabaseClient
