from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.selectors import session_stats
from whatsapp_gateway.api_input import MAX_ID, JSONInput


class SessionCreateQuery(serializers.Serializer):
    skip_invalid = serializers.BooleanField(
        default=False, help_text="Store and send to the valid recipients and report the rest under `invalid`."
    )


class MessageInput(JSONInput):
    content = serializers.CharField(required=False, allow_blank=True, help_text="Text for free-form messages.")
    meta = serializers.DictField(
        required=False, help_text="templateName, language, parameters (list or named map), header, buttons…"
    )


class SessionInput(JSONInput):
    transport = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id of one of your transports.")
    message = MessageInput()
    recipients = serializers.ListField(
        allow_empty=False,
        max_length=settings.MAX_RECIPIENTS_PER_SESSION,
        help_text='Numbers ("+14155550123") or objects {"address": "...", "params": {...}}; '
        f"at most {settings.MAX_RECIPIENTS_PER_SESSION:,} per session.",
        error_messages={
            "max_length": "At most {max_length} recipients per session: split the list into several sessions.",
        },
    )


class StatsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    queued = serializers.IntegerField()
    sending = serializers.IntegerField()
    unknown = serializers.IntegerField(
        help_text="Sent, but Meta never answered (a timeout): its status webhook settles it; "
        "trigger with resend_unknown sends it again."
    )
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    suppressed = serializers.IntegerField(help_text="Never sent: the recipient is on your opt-out list.")


class SessionOutput(serializers.ModelSerializer):
    stats = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "transport",
            "status",
            "message",
            "total",
            "stats",
            "error",
            "pause_reason",
            "idempotency_key",
            "is_test",
            "created_at",
            "started_at",
            "completed_at",
            "cancelled_at",
        ]

    @extend_schema_field(StatsOutput)
    def get_stats(self, session: Session) -> dict:
        # A list passes every row's stats in the context (one query per page, not one per session).
        known = self.context.get("stats") or {}
        return known[session.pk] if session.pk in known else session_stats(session=session)


class InvalidRecipient(serializers.Serializer):
    index = serializers.IntegerField()
    address = serializers.CharField()
    error = serializers.CharField()


class SessionCreatedOutput(SessionOutput):
    invalid = InvalidRecipient(many=True, read_only=True, help_text="Skipped with ?skip_invalid=true.")
    duplicates = serializers.IntegerField(read_only=True, help_text="Recipients given twice, sent once.")

    class Meta(SessionOutput.Meta):
        fields = [*SessionOutput.Meta.fields, "invalid", "duplicates"]


class BroadcastOutput(serializers.ModelSerializer):
    class Meta:
        model = Broadcast
        fields = [
            "id",
            "session",
            "address",
            "params",
            "status",
            "attempts",
            "wamid",
            "message_status",
            "error_code",
            "error_title",
            "error_category",
            "next_attempt_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
            "updated_at",
        ]


class BroadcastLogOutput(serializers.ModelSerializer):
    class Meta:
        model = BroadcastLog
        fields = [
            "id",
            "kind",
            "status",
            "attempt",
            "request",
            "response_status",
            "response_body",
            "error_code",
            "error_title",
            "duration_ms",
            "message",
            "event_at",
            "created_at",
        ]


class BroadcastDetailOutput(BroadcastOutput):
    logs = BroadcastLogOutput(many=True, read_only=True)

    class Meta(BroadcastOutput.Meta):
        fields = [*BroadcastOutput.Meta.fields, "logs"]


class TriggerInput(JSONInput):
    resend_unknown = serializers.BooleanField(
        default=False,
        help_text="Also resend UNKNOWN broadcasts (sent, never answered). One that did reach Meta arrives twice.",
    )


class CountOutput(serializers.Serializer):
    count = serializers.IntegerField()
    session = SessionOutput()


class RecipientEraseInput(JSONInput):
    address = serializers.CharField(
        max_length=420,
        help_text='A phone number in any format ("+1 202 555 0101", "12025550101"), a BSUID '
        '("US.13491208655302741918") or a wamid; matched whole, never as a fragment.',
    )


class ErasureQuery(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Count what would be erased and change nothing.")


class ErasureOutput(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="Id of the erasure record (which never holds the number); null in a dry run."
    )
    erased_at = serializers.DateTimeField(allow_null=True)
    dry_run = serializers.SerializerMethodField(help_text="True when nothing was changed (?dry_run=true).")
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows anonymized or deleted (in a dry run: that would be), by kind."
    )

    def get_dry_run(self, erasure) -> bool:
        return erasure.pk is None
