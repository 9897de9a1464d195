"""``/recipe-types/`` and ``/recipes/``: recipe types and the recipes run from them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from recipe.endpoint_serializers import (
    RecipeDetailsSerializer,
    RecipeListSerializer,
    RecipeTypeDetailsSerializer,
    RecipeTypeListSerializer,
)
from recipe.filters import RecipeFilterSet, RecipeTypeFilterSet
from recipe.models import Recipe, RecipeType
from scale.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        summary="Recipe type list",
        description="Recipe types and basic recipe type information, by last_modified (then "
        "id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Recipe type details",
        description="A specific recipe type with its trigger rule and the job types its "
        "definition references.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The recipe type's id.")],
    ),
)
class RecipeTypeViewSet(ReadOnlyViewSet):
    """Recipe types: ``/recipe-types/``, ``/recipe-types/{id}/``."""

    queryset = RecipeType.objects.order_by("last_modified", "id")
    filterset_class = RecipeTypeFilterSet
    serializer_class = RecipeTypeListSerializer

    def get_serializer_class(self):
        if self.action == "retrieve":
            return RecipeTypeDetailsSerializer
        return RecipeTypeListSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Recipe list",
        description="All recipes, by last_modified (then id) unless ordered otherwise.",
    ),
    retrieve=extend_schema(
        summary="Recipe details",
        description="A specific recipe and its related model information: recipe type, "
        "event, data, input files and jobs.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH,
                                     description="The recipe's id.")],
    ),
)
class RecipeViewSet(ReadOnlyViewSet):
    """Recipes: ``/recipes/``, ``/recipes/{id}/``."""

    queryset = Recipe.objects.order_by("last_modified", "id")
    filterset_class = RecipeFilterSet
    serializer_class = RecipeListSerializer

    def get_serializer_class(self):
        return RecipeDetailsSerializer if self.action == "retrieve" else RecipeListSerializer
