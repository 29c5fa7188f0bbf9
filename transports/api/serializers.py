from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from transports import defaults
from transports.addresses import REGION_PATTERN, STRICTNESS
from transports.models import PhoneNumberQualityChange, Transport
from transports.secrets import secrets_decrypt
from transports.whatsapp.preset import API_VERSION_PATTERN, GRAPH_ID_PATTERN, MARKETING_MODES
from transports.whatsapp.quality import RECENT
from whatsapp_gateway.api_input import JSONInput


class QualityChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = PhoneNumberQualityChange
        fields = [
            "changed_at", "source", "event", "old_messaging_limit", "new_messaging_limit",
            "old_quality_rating", "new_quality_rating",
        ]


class TransportOutput(serializers.ModelSerializer):
    secrets = serializers.SerializerMethodField(help_text="Names of the stored secrets; values are never returned.")
    quality_changes = serializers.SerializerMethodField(
        help_text=f"The number's last {RECENT} messaging limit or quality rating changes at Meta, newest first "
        "(webhooks phone_number_quality_update, and differences read on template sync)."
    )

    class Meta:
        model = Transport
        fields = [
            "id", "name", "kind", "config", "secrets", "is_active",
            "stopped_at", "stopped_reason",
            "display_phone_number", "messaging_limit", "quality_rating", "limits_read_at",
            "marketing_messages_onboarding", "marketing_onboarding_read_at", "quality_changes",
            "created_at", "updated_at",
        ]

    @extend_schema_field(QualityChangeOutput(many=True))
    def get_quality_changes(self, transport: Transport) -> list[dict]:
        return QualityChangeOutput(transport.quality_changes.all()[:RECENT], many=True).data

    def get_secrets(self, transport: Transport) -> list[str]:
        return sorted(secrets_decrypt(transport.encrypted_secrets))


class WhatsAppCloudInput(JSONInput):
    """Shorthand for Meta's Cloud API; expanded by the preset into the full config and secrets."""

    phone_number_id = serializers.RegexField(GRAPH_ID_PATTERN, max_length=32)
    business_account_id = serializers.RegexField(GRAPH_ID_PATTERN, max_length=32, required=False)
    api_version = serializers.RegexField(API_VERSION_PATTERN, required=False, help_text="e.g. v23.0")
    base_url = serializers.URLField(required=False, help_text="Default https://graph.facebook.com")
    access_token = serializers.CharField(write_only=True, help_text="Or env:VARIABLE_NAME")
    app_secret = serializers.CharField(write_only=True, required=False)
    verify_token = serializers.CharField(write_only=True, required=False)
    rate_limit = serializers.FloatField(
        required=False, min_value=defaults.RATE_LIMIT_MIN, max_value=defaults.RATE_LIMIT_MAX
    )
    max_attempts = serializers.IntegerField(
        required=False, min_value=defaults.MAX_ATTEMPTS_MIN, max_value=defaults.MAX_ATTEMPTS_MAX
    )
    retry_window = serializers.FloatField(
        required=False, min_value=defaults.RETRY_WINDOW_MIN, max_value=defaults.RETRY_WINDOW_MAX,
        help_text=f"Seconds from a message's first attempt that transient failures keep being retried, past "
        f"max_attempts if need be (default {defaults.RETRY_WINDOW}; 0: max_attempts alone)",
    )
    phone_strictness = serializers.ChoiceField(STRICTNESS, required=False)
    default_region = serializers.RegexField(REGION_PATTERN, required=False)
    concurrency = serializers.IntegerField(
        required=False, min_value=defaults.CONCURRENCY_MIN, max_value=defaults.CONCURRENCY_MAX
    )
    marketing_messages = serializers.ChoiceField(
        MARKETING_MODES, required=False,
        help_text="Where MARKETING templates go: off (default, /messages), prefer (/marketing_messages, Meta falls "
        "back to the Cloud API where the number is not onboarded), only (/marketing_messages, no fallback). Utility "
        "and authentication templates always go to /messages.",
    )
    timeouts = serializers.DictField(
        child=serializers.FloatField(min_value=defaults.TIMEOUT_MIN, max_value=max(defaults.TIMEOUT_MAX.values())),
        required=False,
        help_text='Seconds: {"connect": 5, "read": 15}',
    )

    def to_internal_value(self, data):
        # A misspelt option would be dropped silently (e.g. "phone_strictnes" leaves strictness "valid").
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["not a whatsapp_cloud option."] for name in unknown})
        return super().to_internal_value(data)


class TransportInput(JSONInput):
    name = serializers.CharField(max_length=100)
    config = serializers.JSONField(required=False, help_text="Full API transport config (see /transports/schema).")
    whatsapp_cloud = WhatsAppCloudInput(required=False, help_text="Instead of config: Meta's Cloud API preset.")
    secrets = serializers.DictField(
        child=serializers.CharField(allow_null=True), required=False, write_only=True,
        help_text="Values are encrypted at rest, or env:NAME references; never returned. "
        "On an update, a name given null removes that secret.",
    )
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not self.partial and "config" not in attrs and "whatsapp_cloud" not in attrs:
            raise serializers.ValidationError({"config": ["config or whatsapp_cloud is required."]})
        if "config" in attrs and "whatsapp_cloud" in attrs:
            raise serializers.ValidationError({"whatsapp_cloud": ["give either config or whatsapp_cloud, not both."]})
        return attrs
