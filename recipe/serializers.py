from recipe.models import Recipe, RecipeType
from scale.api.serializers import ScaleSerializer
from trigger.serializers import TriggerEventBriefSerializer


class RecipeTypeBriefSerializer(ScaleSerializer):
    class Meta:
        model = RecipeType
        fields = ("id", "name", "version", "title", "description")


class RecipeSerializer(ScaleSerializer):
    recipe_type = RecipeTypeBriefSerializer(read_only=True)
    event = TriggerEventBriefSerializer(read_only=True)

    class Meta:
        model = Recipe
        fields = ("id", "recipe_type", "event", "created", "completed", "last_modified")
