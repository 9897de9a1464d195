"""The recipe shapes that jobs nest (a job's ``recipes``). The shapes of ``/recipes/`` and
``/recipe-types/`` nest job shapes in turn, so they live in ``recipe.endpoint_serializers``:
one module each way, no import cycle."""

from recipe.models import Recipe, RecipeType
from scale.api.serializers import ScaleSerializer
from trigger.serializers import TriggerEventBriefSerializer

RECIPE_TYPE_BRIEF_FIELDS = ("id", "name", "version", "title", "description")


class RecipeTypeBriefSerializer(ScaleSerializer):
    """A recipe type in brief, as recipes show it."""

    class Meta:
        model = RecipeType
        fields = RECIPE_TYPE_BRIEF_FIELDS


class RecipeSerializer(ScaleSerializer):
    """A recipe as a job's details show it: with its recipe type and trigger event in brief."""

    recipe_type = RecipeTypeBriefSerializer(read_only=True)
    event = TriggerEventBriefSerializer(read_only=True)

    class Meta:
        model = Recipe
        fields = ("id", "recipe_type", "event", "created", "completed", "last_modified")
