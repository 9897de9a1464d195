from django.urls import path
from rest_framework.routers import SimpleRouter

from job.views import (
    JobLoadViewSet,
    JobTypeViewSet,
    JobViewSet,
    MetricsPlotDataViewSet,
    MetricsViewSet,
    QueueStatusViewSet,
)

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("job-types", JobTypeViewSet, basename="job-type")
router.register("metrics", MetricsViewSet, basename="metrics")

urlpatterns = [
    *router.urls,
    # A list only: no /queue/status/{id}/.
    path("queue/status/", QueueStatusViewSet.as_view({"get": "list"}), name="queue-status"),
    path("load/", JobLoadViewSet.as_view({"get": "list"}), name="load"),
    # A list of the type's columns under the type's path.
    path("metrics/<str:name>/plot-data/", MetricsPlotDataViewSet.as_view({"get": "list"}),
         name="metrics-plot-data"),
]
