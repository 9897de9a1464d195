from error.models import Error
from scale.api.serializers import ScaleSerializer

ERROR_BRIEF_FIELDS = ("id", "name", "title", "description", "category")


class ErrorBriefSerializer(ScaleSerializer):
    class Meta:
        model = Error
        fields = ERROR_BRIEF_FIELDS


class ErrorSerializer(ScaleSerializer):
    """An error as jobs and executions nest it (the job services' key set)."""

    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "created", "last_modified")


class ErrorDetailsSerializer(ScaleSerializer):
    """A row of ``/errors/`` and ``/errors/{id}/`` (error.rst): the error with
    ``is_builtin``."""

    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "is_builtin", "created", "last_modified")
