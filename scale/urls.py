from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from scale.api.docs import SwaggerView
from scale.system import SystemStatusView, VersionView

urlpatterns = [
    path("admin/", admin.site.urls),
    # The OpenAPI schema (YAML, or JSON with ?format=json or Accept: application/json)
    # and Swagger UI, whose assets the project serves itself (drf-spectacular-sidecar).
    # No ReDoc: its page loads Google's fonts.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
]
# Every endpoint at the root and under Scale 3.0's version prefix, with the same answers
# (next/previous links keep the prefix a client used: they are built from its request).
for prefix, namespace in (("", None), ("v3/", "v3")):
    urlpatterns += [
        path(prefix, include(("job.urls", "job"), namespace=namespace and f"{namespace}-job")),
        path(prefix, include(("job_exe.urls", "job_exe"),
                             namespace=namespace and f"{namespace}-job_exe")),
        path(prefix, include(("error.urls", "error"),
                             namespace=namespace and f"{namespace}-error")),
        path(prefix, include(("recipe.urls", "recipe"),
                             namespace=namespace and f"{namespace}-recipe")),
        path(prefix, include(("storage.urls", "storage"),
                             namespace=namespace and f"{namespace}-storage")),
        path(f"{prefix}status/", SystemStatusView.as_view(),
             name=f"{namespace}-status" if namespace else "status"),
        path(f"{prefix}version/", VersionView.as_view(),
             name=f"{namespace}-version" if namespace else "version"),
    ]
# /health/ is answered by scale.health.HealthCheckMiddleware, before any URL is resolved.

# Django's own error pages speak the API's error format: never HTML under an API URL.
handler400 = "scale.api.errors.handler400"
handler403 = "scale.api.errors.handler403"
handler404 = "scale.api.errors.handler404"
handler500 = "scale.api.errors.handler500"
