"""What django-axes counts failed authentications by (``AXES_LOCKOUT_PARAMETERS``).

A failed admin login names a user: it counts against the client's address and, apart,
against that user name. A failed token authentication names no user: it counts against
the address only (counting it against "no user name" would lock every token client out
after a few strangers' failures).
"""

from __future__ import annotations


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str]:
    if credentials is not None:
        username = credentials.get("username")
    else:
        username = getattr(request_or_attempt, "username", None)
    return ["ip_address", "username"] if username else ["ip_address"]
