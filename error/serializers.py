from error.models import Error
from scale.api.serializers import ScaleModelSerializer

ERROR_BRIEF_FIELDS = ("id", "name", "title", "description", "category")


class ErrorBriefSerializer(ScaleModelSerializer):
    class Meta:
        model = Error
        fields = ERROR_BRIEF_FIELDS


class ErrorSerializer(ScaleModelSerializer):
    class Meta:
        model = Error
        fields = (*ERROR_BRIEF_FIELDS, "created", "last_modified")
