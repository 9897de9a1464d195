"""The PostgreSQL backend for ``DATABASE_URL``: Django's own, made outage-aware.

``scale.postgres.pooled`` is the same with a connection pool per process, for the gevent
workers that serve the API (see ``scale.database``).
"""
