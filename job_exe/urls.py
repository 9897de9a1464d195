from rest_framework.routers import SimpleRouter

from job_exe.views import JobExecutionViewSet

router = SimpleRouter()
router.register("job-executions", JobExecutionViewSet, basename="job-execution")

urlpatterns = router.urls
