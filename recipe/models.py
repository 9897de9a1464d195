from django.db import models


class RecipeType(models.Model):
    """A graph of job types that run together, at one version."""

    name = models.CharField(max_length=50, db_index=True)
    version = models.CharField(max_length=50)
    title = models.CharField(max_length=50, blank=True, null=True)
    description = models.CharField(max_length=500, blank=True, null=True)
    definition = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True, db_default=True)
    # Incremented by each edit of the definition.
    revision_num = models.IntegerField(default=1, db_default=1)
    trigger_rule = models.ForeignKey(
        "trigger.TriggerRule",
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="recipe_types",
    )
    created = models.DateTimeField(auto_now_add=True)
    archived = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recipe_type"
        ordering = ["name", "version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="recipe_type_name_version_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Recipe(models.Model):
    """One run of a recipe type; its jobs are linked through RecipeJob."""

    recipe_type = models.ForeignKey(RecipeType, on_delete=models.PROTECT, related_name="recipes")
    event = models.ForeignKey(
        "trigger.TriggerEvent", on_delete=models.PROTECT, related_name="recipes"
    )
    data = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    completed = models.DateTimeField(blank=True, null=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "recipe"
        ordering = ["created", "id"]
        indexes = [
            # Default order of /recipes/, and its started/ended window.
            models.Index(fields=["last_modified", "id"], name="recipe_last_modified_id_idx"),
        ]

    def __str__(self) -> str:
        return f"recipe {self.pk}"


class RecipeJob(models.Model):
    """A job's place in a recipe, under the name the recipe definition gives it."""

    recipe = models.ForeignKey(Recipe, on_delete=models.PROTECT, related_name="recipe_jobs")
    job = models.ForeignKey("job.Job", on_delete=models.PROTECT, related_name="recipe_jobs")
    job_name = models.CharField(max_length=100)

    class Meta:
        db_table = "recipe_job"
        ordering = ["recipe_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["recipe", "job"], name="recipe_job_recipe_job_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.job_name} in recipe {self.recipe_id}"
