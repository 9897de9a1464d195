"""The shapes of ``/recipe-types/`` (recipe_type.rst) and ``/recipes/`` (recipe.rst)."""

from __future__ import annotations

from django.db.models import BigIntegerField, F, Func, JSONField, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from job.models import JobType
from job.serializers import (
    JOB_TYPE_BRIEF_FIELDS,
    JobSerializer,
    JobTypeRevisionSerializer,
)
from recipe.models import Recipe, RecipeJob, RecipeType
from recipe.serializers import RecipeTypeBriefSerializer
from scale.api.rendering import Ref
from scale.api.serializers import IdObjectField, ScaleSerializer, one_level_deeper
from storage.models import ScaleFile
from storage.serializers import ScaleFileSerializer
from trigger.serializers import (
    TriggerEventBriefSerializer,
    TriggerEventDetailsSerializer,
    TriggerRuleSerializer,
)

RECIPE_TYPE_ROW_FIELDS = (
    "id",
    "name",
    "version",
    "title",
    "description",
    "is_active",
    "definition",
    "revision_num",
    "created",
    "last_modified",
    "archived",
    "trigger_rule",
)


class RecipeTypeListSerializer(ScaleSerializer):
    """A recipe type (a row of Recipe Type List), with its trigger rule by id."""

    trigger_rule = IdObjectField(source="trigger_rule_id", allow_null=True)

    class Meta:
        model = RecipeType
        fields = RECIPE_TYPE_ROW_FIELDS


def definition_job_types(recipe_type) -> QuerySet[JobType]:
    """The job types a recipe type's definition names (``jobs[].job_type`` name and
    version), by name and version; a name the definition gives twice appears once."""
    named = RecipeType.objects.filter(pk=one_level_deeper(recipe_type)).values(
        job_type=Func(
            F("definition"),
            template="jsonb_path_query(%(expressions)s, '$.jobs[*].job_type')",
            output_field=JSONField(),
        )
    )
    return (
        JobType.objects.annotate(key=JSONObject(name=F("name"), version=F("version")))
        .filter(key__in=Subquery(named))
        .order_by("name", "version", "id")
    )


class RecipeTypeJobTypeSerializer(ScaleSerializer):
    """A job type a recipe type's definition uses: its brief form and its interface."""

    class Meta:
        model = JobType
        fields = (*JOB_TYPE_BRIEF_FIELDS, "interface")


class RecipeTypeDetailsSerializer(RecipeTypeListSerializer):
    """A recipe type in full (Recipe Type Details): its trigger rule in full and the job
    types its definition names."""

    trigger_rule = TriggerRuleSerializer(read_only=True, allow_null=True)
    job_types = RecipeTypeJobTypeSerializer(many=True, read_only=True, rows=definition_job_types)

    class Meta(RecipeTypeListSerializer.Meta):
        fields = (*RECIPE_TYPE_ROW_FIELDS, "job_types")


@extend_schema_field(
    serializers.DictField(
        allow_null=True,
        help_text="Always null: this service keeps no recipe type revisions, so the "
        "definition a recipe was scheduled with is not known apart from its recipe type's.",
    )
)
class NoRecipeTypeRevisionField(serializers.Field):
    """``recipe_type_rev``: Scale kept each edit of a recipe type as a revision and linked
    the recipe to the one it ran with. This service stores no revisions: always null."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, recipe: Recipe) -> None:
        return None

    def json_sql(self, ref: Ref):
        return Value(None, output_field=JSONField())


RECIPE_ROW_FIELDS = (
    "id",
    "recipe_type",
    "recipe_type_rev",
    "event",
    "created",
    "completed",
    "last_modified",
)


class RecipeListSerializer(ScaleSerializer):
    """A recipe (a row of Recipe List)."""

    recipe_type = RecipeTypeBriefSerializer(read_only=True)
    recipe_type_rev = NoRecipeTypeRevisionField()
    event = TriggerEventBriefSerializer(read_only=True)

    class Meta:
        model = Recipe
        fields = RECIPE_ROW_FIELDS


# A number in input_data's file_id or file_ids that can be a file id (a whole bigint).
_FILE_IDS_PATH = (
    '$.input_data[*].keyvalue() ? (@.key == "file_id" || @.key == "file_ids").value[*]'
    ' ? (@.type() == "number" && @ >= 1 && @ <= 9223372036854775807 && @ == @.floor())'
)


def recipe_input_files(recipe) -> QuerySet[ScaleFile]:
    """The files a recipe's data names as input (``file_id``, ``file_ids``), by id."""
    ids = Recipe.objects.filter(pk=one_level_deeper(recipe)).values(
        file_id=Func(
            F("data"),
            template=f"(jsonb_path_query(%(expressions)s, '{_FILE_IDS_PATH}') #>> '{{}}')::bigint",
            output_field=BigIntegerField(),
        )
    )
    return ScaleFile.objects.filter(pk__in=Subquery(ids)).order_by("id")


class RecipeJobJobSerializer(JobSerializer):
    """A recipe's job: the job row with its job type revision in full."""

    job_type_rev = JobTypeRevisionSerializer(read_only=True)


class RecipeJobSerializer(ScaleSerializer):
    """A job of a recipe, under its name in the recipe type's definition."""

    job = RecipeJobJobSerializer(read_only=True)

    class Meta:
        model = RecipeJob
        fields = ("job_name", "job")


def recipe_jobs(recipe) -> QuerySet[RecipeJob]:
    """A recipe's jobs, in the order they were linked."""
    return RecipeJob.objects.filter(recipe=recipe).order_by("id")


class RecipeDetailsSerializer(RecipeListSerializer):
    """A recipe in full (Recipe Details): its recipe type and event in full, its data, the
    files it used as input and its jobs."""

    recipe_type = RecipeTypeListSerializer(read_only=True)
    event = TriggerEventDetailsSerializer(read_only=True)
    input_files = ScaleFileSerializer(many=True, read_only=True, rows=recipe_input_files)
    jobs = RecipeJobSerializer(many=True, read_only=True, rows=recipe_jobs)

    class Meta(RecipeListSerializer.Meta):
        fields = (*RECIPE_ROW_FIELDS, "data", "input_files", "jobs")
