"""The API's documentation page."""

from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """drf-spectacular's Swagger UI page, answering OPTIONS without a template.

    The split view serves the page's start-up script as a file of its own (``?script``)
    rather than inline, so that the Content-Security-Policy can forbid inline scripts.

    The page renders only through its HTML template, and DRF's OPTIONS answer (the view's
    metadata) has none: that was a 500. OPTIONS gets the methods in ``Allow`` instead.
    """

    def options(self, request, *args, **kwargs) -> HttpResponse:
        return HttpResponse(status=200, content_type="text/plain; charset=utf-8")
