"""``/errors/``: the registered causes of job failure."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from error.filters import ErrorFilterSet
from error.models import Error
from error.serializers import ErrorDetailsSerializer
from scale.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Error list",
        description="All errors, by last_modified (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Error details",
        description="The details for an error with the given id.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The error's id.")],
    ),
)
class ErrorViewSet(ReadOnlyViewSet):
    """Errors: ``/errors/``, ``/errors/{id}/`` (Scale's default order, last_modified)."""

    queryset = Error.objects.order_by("last_modified", "id")
    filterset_class = ErrorFilterSet
    serializer_class = ErrorDetailsSerializer
