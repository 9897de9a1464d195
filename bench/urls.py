from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from scale.urls import urlpatterns as scale_urlpatterns
from storage.models import Workspace


class PingView(APIView):
    """The cheapest DRF answer: routing, middleware, content negotiation, rendering."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


class OneStatementView(APIView):
    """The cheapest read through the ORM: the trivial endpoint plus one statement built by
    Django's ORM (the first workspace's id); its floor is the same SQL alone."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ids": list(Workspace.objects.order_by("id").values_list("id")[:1])})


urlpatterns = [
    path("_bench/ping/", PingView.as_view()),
    path("_bench/one-statement/", OneStatementView.as_view()),
    *scale_urlpatterns,
]

handler400 = "scale.api.errors.handler400"
handler403 = "scale.api.errors.handler403"
handler404 = "scale.api.errors.handler404"
handler500 = "scale.api.errors.handler500"
