from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from scale.urls import urlpatterns as scale_urlpatterns


class PingView(APIView):
    """The cheapest DRF answer: routing, middleware, content negotiation, rendering."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("_bench/ping/", PingView.as_view()), *scale_urlpatterns]

handler400 = "scale.api.errors.handler400"
handler403 = "scale.api.errors.handler403"
handler404 = "scale.api.errors.handler404"
handler500 = "scale.api.errors.handler500"
