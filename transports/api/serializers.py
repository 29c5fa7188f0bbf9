from rest_framework import serializers

from transports.models import Transport
from transports.secrets import secrets_decrypt


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


class TransportInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    config = serializers.JSONField()
    secrets = serializers.DictField(child=serializers.CharField(), required=False, write_only=True)
    is_active = serializers.BooleanField(required=False)
