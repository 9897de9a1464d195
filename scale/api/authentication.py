import re

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")
_TOKEN_HEADER = re.compile(rb"Token [^\s]+", re.IGNORECASE)


class StrictTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that refuses a malformed key before querying.

    Keys are 40 lowercase hex characters; anything else (a NUL byte included, which
    PostgreSQL refuses in a string) cannot be a token and is a 401, not a query error.
    """

    def authenticate(self, request):
        """``Authorization: Token <key>`` with exactly one space; DRF's own parsing splits
        on any run of whitespace and so accepted ``Token  <key>`` and tabs."""
        header = get_authorization_header(request)
        if header[:5].lower() == b"token" and not _TOKEN_HEADER.fullmatch(header):
            if header.split()[:1] == [header[:5]]:
                raise AuthenticationFailed(
                    "Invalid token header: write it as 'Token <key>', with one space."
                )
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        if not _TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
