from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from scale.api.views import SwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    # The OpenAPI schema (YAML, or JSON with ?format=json or Accept: application/json)
    # and Swagger UI, whose assets the project serves itself (drf-spectacular-sidecar).
    # No ReDoc: its page loads Google's fonts.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("job.urls")),
]
# /health/ is answered by scale.health.HealthCheckMiddleware, before any URL is resolved.

# Django's own error pages speak the API's error format: never HTML under an API URL.
handler400 = "scale.api.errors.handler400"
handler403 = "scale.api.errors.handler403"
handler404 = "scale.api.errors.handler404"
handler500 = "scale.api.errors.handler500"
