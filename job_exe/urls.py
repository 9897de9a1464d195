from rest_framework.routers import SimpleRouter

from job_exe.views import JobExecutionViewSet, NodeViewSet

router = SimpleRouter()
router.register("job-executions", JobExecutionViewSet, basename="job-execution")
router.register("nodes", NodeViewSet, basename="node")

urlpatterns = router.urls
