"""The query parameters of ``/recipe-types/`` and ``/recipes/``, under their API names."""

from recipe.models import Recipe, RecipeType
from scale.api.filters import OrderFilter, TimeWindowFilterSet, id_filter, text_filter


class RecipeTypeFilterSet(TimeWindowFilterSet):
    """``started``/``ended`` on ``last_modified``, and ``order`` (recipe types are few)."""

    order = OrderFilter(
        allowed=(
            "id",
            "name",
            "version",
            "title",
            "is_active",
            "revision_num",
            "created",
            "last_modified",
            "archived",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = RecipeType
        fields: list[str] = []


class RecipeFilterSet(TimeWindowFilterSet):
    """``started``/``ended`` on ``last_modified``, the recipe type by id or name, ``order``."""

    type_id = id_filter(
        "recipe_type", label="Only recipes of the recipe type with this id (repeatable)."
    )
    type_name = text_filter(
        "recipe_type__name", label="Only recipes of recipe types with this name (repeatable)."
    )
    order = OrderFilter(
        allowed=(
            "id",
            "created",
            "completed",
            "last_modified",
            "recipe_type",
            "recipe_type__name",
            "recipe_type__version",
        ),
        label="Fields to order by, - for descending (repeatable); id breaks ties.",
    )

    class Meta:
        model = Recipe
        fields: list[str] = []
