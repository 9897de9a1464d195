"""The host that the service's absolute links (``next``, ``previous``) are built on.

Django's ALLOWED_HOSTS matches a Host header without its port, so ``Host: localhost:9999``
passed, and the pagination echoed it into every ``next`` link. Links are built from the
configuration instead:

- with ``SCALE_PUBLIC_HOST`` set (``jobs.example.com``, or ``127.0.0.1:8000``), every link
  is built on it, whatever Host the client sent;
- without it, the client's Host is kept only when it carries no port, or the port the
  request arrived on (``SERVER_PORT``, the listening socket's). Any other port is a 400:
  that Host does not name this service. Behind a proxy on another port, set
  SCALE_PUBLIC_HOST.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from scale.api.errors import error_response


class PublicHostMiddleware:
    """After the Host check (CommonMiddleware): the request's host becomes the public one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.public_host = settings.SCALE_PUBLIC_HOST

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.public_host:
            request.META["HTTP_HOST"] = self.public_host
            request.META.pop("HTTP_X_FORWARDED_HOST", None)
            return self.get_response(request)
        _, port = split_domain_port(request.get_host())
        if port and port != request.META.get("SERVER_PORT"):
            return error_response(
                request,
                f"Host: port {port} is not this service's; links are built on "
                f"SCALE_PUBLIC_HOST when it is set.",
                400,
            )
        return self.get_response(request)
