from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("job.urls")),
]

# Django's own error pages speak the API's error format: never HTML under an API URL.
handler400 = "scale.api.errors.handler400"
handler403 = "scale.api.errors.handler403"
handler404 = "scale.api.errors.handler404"
handler500 = "scale.api.errors.handler500"
