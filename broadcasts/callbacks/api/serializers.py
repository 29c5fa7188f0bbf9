from rest_framework import serializers

from broadcasts.callbacks.models import EVENT_TYPES, Callback, CallbackAttempt
from broadcasts.callbacks.services.endpoints import MAX_BATCH_SIZE
from whatsapp_gateway.api_input import JSONInput


class CallbackOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(EVENT_TYPES), help_text="Empty: every event.")

    class Meta:
        model = Callback
        fields = [
            "id", "url", "events", "is_active", "batch_size", "disabled_reason", "disabled_at", "failures",
            "next_attempt_at", "last_success_at", "previous_secret_expires_at", "created_at", "updated_at",
        ]


class CallbackCreatedOutput(CallbackOutput):
    secret = serializers.CharField(help_text="The signing secret: shown this once, store it now.")

    class Meta(CallbackOutput.Meta):
        fields = [*CallbackOutput.Meta.fields, "secret"]


class CallbackInput(JSONInput):
    url = serializers.URLField(max_length=2000, help_text="Where events are POSTed: http(s), a public address.")
    events = serializers.ListField(
        child=serializers.ChoiceField(EVENT_TYPES), required=False, max_length=len(EVENT_TYPES) * 2,
        help_text="Event types to send here; empty or absent: every event.",
    )
    is_active = serializers.BooleanField(required=False, help_text="false: nothing is recorded or sent.")
    batch_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_BATCH_SIZE, help_text="Events per POST, 1-100 (default 1)."
    )


class CallbackAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = CallbackAttempt
        fields = ["ok", "status_code", "duration_ms", "response_excerpt", "error", "created_at"]
