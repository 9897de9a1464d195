"""``/workspaces/``: where files are kept (workspace.rst)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from scale.api.views import ReadOnlyViewSet
from storage.filters import WorkspaceFilterSet
from storage.models import Workspace
from storage.serializers import WorkspaceDetailsSerializer, WorkspaceSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Workspace list",
        description="All workspaces, by last_modified (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Workspace details",
        description="A workspace with its configuration.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The workspace's id.")],
    ),
)
class WorkspaceViewSet(ReadOnlyViewSet):
    """Workspaces: ``/workspaces/``, ``/workspaces/{id}/`` (Scale's default order,
    last_modified)."""

    queryset = Workspace.objects.order_by("last_modified", "id")
    filterset_class = WorkspaceFilterSet
    serializer_class = WorkspaceSerializer

    def get_serializer_class(self):
        if self.action == "retrieve":
            return WorkspaceDetailsSerializer
        return WorkspaceSerializer
