from error.models import Error
from scale.api.serializers import ScaleSerializer

ERROR_BRIEF_FIELDS = ("id", "name", "title", "description", "category")


class ErrorBriefSerializer(ScaleSerializer):
    """An error in brief, as job and execution rows show it."""

    class Meta:
        model = Error
        fields = ERROR_BRIEF_FIELDS


class ErrorSerializer(ScaleSerializer):
    """An error as a job's or an execution's details show it."""

    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "created", "last_modified")


class ErrorDetailsSerializer(ScaleSerializer):
    """An error (Error Details): a registered cause of job failure, with its category and
    whether it is built in."""

    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "is_builtin", "created", "last_modified")
