"""Database sessions that ignore a malformed session cookie instead of querying with it.

Django's keys are 32 lowercase letters and digits; a cookie carrying anything else (a NUL
byte, which PostgreSQL refuses in a string) is treated as no session, not a server error.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and super()._validate_session_key(key) and key.isascii() and key.isalnum()
