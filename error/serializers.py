from error.models import Error
from scale.api.serializers import ScaleSerializer

ERROR_BRIEF_FIELDS = ("id", "name", "title", "description", "category")


class ErrorBriefSerializer(ScaleSerializer):
    class Meta:
        model = Error
        fields = ERROR_BRIEF_FIELDS


class ErrorSerializer(ScaleSerializer):
    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "created", "last_modified")
