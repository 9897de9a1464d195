from rest_framework.routers import SimpleRouter

from job.views import JobTypeViewSet, JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("job-types", JobTypeViewSet, basename="job-type")

urlpatterns = router.urls
