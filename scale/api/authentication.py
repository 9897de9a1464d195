import re

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class StrictTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that refuses a malformed key before querying.

    Keys are 40 lowercase hex characters; anything else (a NUL byte included, which
    PostgreSQL refuses in a string) cannot be a token and is a 401, not a query error.
    """

    def authenticate_credentials(self, key: str):
        if not _TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
