from rest_framework import serializers

from transports.models import Transport
from transports.secrets import secrets_decrypt
from whatsapp_gateway.api_input import JSONInput


class TransportOutput(serializers.ModelSerializer):
    secrets = serializers.SerializerMethodField(help_text="Names of the stored secrets; values are never returned.")

    class Meta:
        model = Transport
        fields = [
            "id", "name", "kind", "config", "secrets", "is_active",
            "stopped_at", "stopped_reason", "created_at", "updated_at",
        ]

    def get_secrets(self, transport: Transport) -> list[str]:
        return sorted(secrets_decrypt(transport.encrypted_secrets))


class WhatsAppCloudInput(JSONInput):
    """Shorthand for Meta's Cloud API; expanded by the preset into the full config and secrets."""

    phone_number_id = serializers.RegexField(r"^[0-9]+$", max_length=32)
    business_account_id = serializers.RegexField(r"^[0-9]+$", max_length=32, required=False)
    api_version = serializers.RegexField(r"^v[0-9]+\.[0-9]+$", required=False, help_text="e.g. v23.0")
    base_url = serializers.URLField(required=False, help_text="Default https://graph.facebook.com")
    access_token = serializers.CharField(write_only=True, help_text="Or env:VARIABLE_NAME")
    app_secret = serializers.CharField(write_only=True, required=False)
    verify_token = serializers.CharField(write_only=True, required=False)
    rate_limit = serializers.FloatField(required=False, min_value=0.1, max_value=10000)
    max_attempts = serializers.IntegerField(required=False, min_value=1, max_value=20)
    phone_strictness = serializers.ChoiceField(["valid", "possible"], required=False)
    default_region = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    concurrency = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    timeouts = serializers.DictField(
        child=serializers.FloatField(min_value=0.1, max_value=300), required=False,
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
