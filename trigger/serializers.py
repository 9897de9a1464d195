from scale.api.serializers import IdObjectField, ScaleSerializer
from trigger.models import TriggerEvent, TriggerRule


class TriggerRuleSerializer(ScaleSerializer):
    class Meta:
        model = TriggerRule
        fields = (
            "id",
            "type",
            "name",
            "is_active",
            "configuration",
            "created",
            "archived",
            "last_modified",
        )


class TriggerEventBriefSerializer(ScaleSerializer):
    rule = IdObjectField(source="rule_id", allow_null=True)

    class Meta:
        model = TriggerEvent
        fields = ("id", "type", "rule", "occurred")


class TriggerEventSerializer(ScaleSerializer):
    rule = TriggerRuleSerializer(allow_null=True, read_only=True)

    class Meta:
        model = TriggerEvent
        fields = ("id", "type", "rule", "occurred")


class TriggerEventDetailsSerializer(ScaleSerializer):
    """An event with its full rule and its description, as a recipe's details show it."""

    rule = TriggerRuleSerializer(allow_null=True, read_only=True)

    class Meta:
        model = TriggerEvent
        fields = ("id", "type", "rule", "occurred", "description")
