from rest_framework.routers import SimpleRouter

from error.views import ErrorViewSet

router = SimpleRouter()
router.register("errors", ErrorViewSet, basename="error")

urlpatterns = router.urls
