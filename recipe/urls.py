from rest_framework.routers import SimpleRouter

from recipe.views import RecipeTypeViewSet, RecipeViewSet

router = SimpleRouter()
router.register("recipe-types", RecipeTypeViewSet, basename="recipe-type")
router.register("recipes", RecipeViewSet, basename="recipe")

urlpatterns = router.urls
