import re

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")
_TOKEN_HEADER = re.compile(rb"Token [^\s]+", re.IGNORECASE)
# A token names no user: django-axes counts its failures by address only (and must not
# read the request's body looking for a user name).
_NO_USER = {"username": None}


class StrictTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that refuses a malformed key before querying.

    Keys are 40 lowercase hex characters; anything else (a NUL byte included, which
    PostgreSQL refuses in a string) cannot be a token and is a 401, not a query error.
    """

    def authenticate(self, request):
        """``Authorization: Token <key>`` with exactly one space; DRF's own parsing splits
        on any run of whitespace and so accepted ``Token  <key>`` and tabs."""
        header = get_authorization_header(request)
        if header.split()[:1] != [header[:5]] or header[:5].lower() != b"token":
            return super().authenticate(request)  # another scheme, or none
        # Failed token authentications count, per client address, as failed logins do
        # (django-axes); a locked-out address is refused before its token is looked up.
        if not AxesProxyHandler.is_allowed(request, _NO_USER):
            raise Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many failed authentications from this address.",
            )
        try:
            if not _TOKEN_HEADER.fullmatch(header):
                raise AuthenticationFailed(
                    "Invalid token header: write it as 'Token <key>', with one space."
                )
            return super().authenticate(request)
        except AuthenticationFailed:
            user_login_failed.send(sender=__name__, credentials=_NO_USER, request=request)
            raise

    def authenticate_credentials(self, key: str):
        if not _TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
