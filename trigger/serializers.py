from scale.api.serializers import IdObjectField, ScaleSerializer
from trigger.models import TriggerEvent, TriggerRule


class TriggerRuleSerializer(ScaleSerializer):
    """A trigger rule: what makes jobs or recipes of a type run by themselves."""

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
    """A trigger event in brief: its type, its rule by id, and when it occurred."""

    rule = IdObjectField(source="rule_id", allow_null=True)

    class Meta:
        model = TriggerEvent
        fields = ("id", "type", "rule", "occurred")


class TriggerEventSerializer(ScaleSerializer):
    """A trigger event in full: its type, the rule that caused it, and when it occurred."""

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
