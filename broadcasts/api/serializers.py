from django.conf import settings
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from broadcasts.api.cost_serializers import CostOutput, EstimatedCostOutput, PricingOutput
from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.selectors import session_stats
from broadcasts.services.costs import session_estimated_cost, sessions_cost
from broadcasts.services.limit_wait import MESSAGING_LIMIT
from broadcasts.services.rate_cards import money
from broadcasts.services.retarget import RETARGET_STATUSES
from broadcasts.services.schedule import OUTSIDE_WINDOW, SCHEDULED, WAITING_REASONS, session_waiting
from broadcasts.services.send_windows import SEND_AT_MAX_AHEAD
from whatsapp_gateway.api_input import MAX_ID, JSONInput, JSONInputError, json_loads, text_problem


class SessionCreateQuery(serializers.Serializer):
    skip_invalid = serializers.BooleanField(
        default=False, help_text="Store and send to the valid recipients and report the rest under `invalid`."
    )


class MessageInput(JSONInput):
    content = serializers.CharField(required=False, allow_blank=True, help_text="Text for free-form messages.")
    meta = serializers.DictField(
        required=False, help_text="templateName, language, parameters (list or named map), header, buttons…"
    )


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its UTC offset: a naive one is refused, not read in the server's zone."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if isinstance(value, str) and parse_datetime(value) is not None and parse_datetime(value).tzinfo is None:
            raise serializers.ValidationError("needs a UTC offset, e.g. 2027-01-15T09:00:00+01:00 or …Z.")
        return parsed


class SendWindowInput(JSONInput):
    start = serializers.CharField(help_text='Opens at this local time, HH:MM 24-hour ("09:00").')
    end = serializers.CharField(
        help_text='Closes at this local time, HH:MM ("20:00"); before start, the window crosses midnight.'
    )
    time_zone = serializers.CharField(help_text='The IANA time zone of start and end, e.g. "Europe/Madrid".')

    def to_internal_value(self, data):
        return data  # every rule of a window is send_window_check's, whoever calls session_create


SEND_AT_HELP = (
    "Start then, not now: ISO 8601 with a UTC offset (e.g. 2027-01-15T09:00:00+01:00). Until then the session "
    f"is SCHEDULED; at most {SEND_AT_MAX_AHEAD.days} days ahead; up to a minute in the past means now."
)
SEND_WINDOW_HELP = (
    "Send only while the window's local clock is within start–end (DST followed); outside it the session "
    "waits (see `waiting`). A window whose end is before its start crosses midnight."
)


CALLBACK_URL_HELP = (
    "Your endpoint for this session's events only (session.* and broadcast.*), signed with the "
    "`callback_secret` of the create answer (docs/callbacks.md). http(s), a public address."
)


def callback_url_field() -> serializers.URLField:
    return serializers.URLField(max_length=2000, required=False, help_text=CALLBACK_URL_HELP)


class SessionInput(JSONInput):
    transport = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id of one of your transports.")
    message = MessageInput()
    recipients = serializers.ListField(
        allow_empty=False,
        max_length=settings.MAX_RECIPIENTS_PER_SESSION,
        help_text='Numbers ("+14155550123") or objects {"address": "...", "params": {...}, "reference": "order-1042"} '
        "(reference: your own id for the message, at most 128 characters, in every answer and callback); "
        f"at most {settings.MAX_RECIPIENTS_PER_SESSION:,} per session.",
        error_messages={
            "max_length": "At most {max_length} recipients per session: split the list into several sessions.",
        },
    )
    send_at = OffsetDateTimeField(required=False, allow_null=True, help_text=SEND_AT_HELP)
    send_window = SendWindowInput(required=False, allow_null=True, help_text=SEND_WINDOW_HELP)
    callback_url = callback_url_field()


class SessionScheduleInput(JSONInput):
    send_at = OffsetDateTimeField(
        required=False, allow_null=True, help_text="The new start time (same rules as at creation); null: now."
    )
    send_window = SendWindowInput(required=False, allow_null=True, help_text="The new window; null: none.")


class JSONTextField(serializers.CharField):
    """A form field holding JSON text (multipart bodies have no JSON types): parsed and checked as a JSON body."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return json_loads(text)
        except JSONInputError as error:
            raise serializers.ValidationError(f"{error}" if error.field else error.message) from None


class SessionCSVInput(serializers.Serializer):
    """`POST /sessions` as multipart/form-data: the recipients are an uploaded CSV."""

    transport = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id of one of your transports.")
    message = JSONTextField(
        help_text='The message as JSON text, e.g. {"meta": {"templateName": "order_update", "language": "en_US"}}.'
    )
    recipients_csv = serializers.FileField(
        allow_empty_file=True,  # the service says what an empty CSV needs
        help_text="UTF-8 CSV (a BOM is fine), separated by `,` or `;`, the first line the header; "
        f"at most {settings.MAX_RECIPIENTS_PER_SESSION:,} rows. The address column's other columns become "
        "each recipient's params.",
    )
    address_column = serializers.CharField(
        default="phone", max_length=200, help_text="The header name of the column with the addresses."
    )
    columns = JSONTextField(
        required=False,
        help_text='Template slots filled from CSV columns, as JSON text: {"body.1": "first_name", '
        '"header.link": "image", "button.0": "tracking_code"} (body.<n or name>, header.text, header.link, '
        "header.id, button.<index>). The message keeps a value for each (\"\" when the column must give it).",
    )
    callback_url = callback_url_field()

    def validate_message(self, value):
        message = MessageInput(data=value)
        message.is_valid(raise_exception=True)
        return message.validated_data

    def validate_address_column(self, value):
        if problem := text_problem(value):
            raise serializers.ValidationError(problem)
        return value


class RetargetInput(JSONInput):
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=Broadcast.Status.values),
        allow_empty=False,
        max_length=len(Broadcast.Status.values),
        help_text=f"The source session's recipients whose broadcast is now in one of these statuses, among "
        f"{', '.join(RETARGET_STATUSES)} (QUEUED and SENDING are still the source's to send). Statuses never "
        "move back, so READ is delivered and read, DELIVERED is delivered and not (yet) read: "
        '["DELIVERED", "READ"] is everyone it reached.',
    )
    message = MessageInput(help_text="The new session's message (another template, or the same).")
    transport = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Another of your transports; the source's by default."
    )
    keep_params = serializers.BooleanField(
        default=True, help_text="Give each recipient the params it had in the source session (e.g. CSV columns)."
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


class SendWindowOutput(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    time_zone = serializers.CharField()


class WaitingOutput(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=WAITING_REASONS,
        help_text=f"`{SCHEDULED}`: until its send_at; `{OUTSIDE_WINDOW}`: its send window is closed; "
        f"`{MESSAGING_LIMIT}`: Meta's messaging limit of its business portfolio is used up, and its recipients not "
        "yet messaged in the last 24 hours wait (QUEUED) until the window allows them.",
    )
    until = serializers.DateTimeField(
        help_text="When it starts, when its window next opens, or when the messaging limit allows its next new "
        "recipient (the oldest counted one leaves the 24 hours)."
    )


class SessionOutput(serializers.ModelSerializer):
    stats = serializers.SerializerMethodField()
    send_window = SendWindowOutput(allow_null=True, read_only=True)
    waiting = serializers.SerializerMethodField(
        help_text="What the session waits for (it is not paused), or null when it is not waiting."
    )
    callback_url = serializers.CharField(
        source="callback.url", allow_null=True, read_only=True,
        help_text="The session's own callback endpoint, or null when it named none.",
    )
    estimated_cost = serializers.SerializerMethodField(
        help_text="What it should cost at Meta, at your app's rate card (docs/rate-limits.md); null for a transport "
        "Meta does not price."
    )
    cost = serializers.SerializerMethodField(
        help_text="What its delivered messages cost, from the pricing in Meta's status webhooks; null when not priced."
    )

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
            "send_at",
            "send_window",
            "waiting",
            "idempotency_key",
            "is_test",
            "retargeted_from",
            "callback_url",
            "estimated_cost",
            "cost",
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

    @extend_schema_field(EstimatedCostOutput(allow_null=True))
    def get_estimated_cost(self, session: Session) -> dict | None:
        return session_estimated_cost(session=session, card=self.context.get("rate_card"))

    @extend_schema_field(CostOutput(allow_null=True))
    def get_cost(self, session: Session) -> dict | None:
        known = self.context.get("costs") or {}
        if session.pk in known:
            return known[session.pk]
        return sessions_cost(sessions=[session], card=self.context.get("rate_card"))[session.pk]

    @extend_schema_field(WaitingOutput(allow_null=True))
    def get_waiting(self, session: Session) -> dict | None:
        waiting = session_waiting(session)
        return WaitingOutput(waiting).data if waiting else None


class InvalidRecipient(serializers.Serializer):
    index = serializers.IntegerField(required=False, help_text="Its place in `recipients` (a JSON body), from 0.")
    row = serializers.IntegerField(required=False, help_text="Its row in `recipients_csv`; the header is row 1.")
    address = serializers.CharField(allow_null=True, help_text="The address as given.")
    error = serializers.CharField()


class SessionWarning(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["messaging_limit", "marketing_messages_fallback", "marketing_messages_onboarding_unknown"],
        help_text="What the warning is about.",
    )
    detail = serializers.CharField()
    limit = serializers.IntegerField(
        required=False, help_text="messaging_limit: Meta's messaging limit, unique recipients in 24 hours."
    )
    used = serializers.IntegerField(
        required=False, help_text="messaging_limit: unique recipients already messaged or queued in the 24 hours."
    )
    over_by = serializers.IntegerField(
        required=False, help_text="messaging_limit: how many of this session's new recipients are past the limit."
    )


class SessionCreatedOutput(SessionOutput):
    invalid = InvalidRecipient(many=True, read_only=True, help_text="Skipped with ?skip_invalid=true.")
    duplicates = serializers.IntegerField(read_only=True, help_text="Recipients given twice, sent once.")
    callback_secret = serializers.CharField(
        required=False, help_text="Signs the events sent to `callback_url`: only in this answer, and only when "
        "`callback_url` was given (an Idempotency-Key replay does not show it again).",
    )
    warnings = SessionWarning(
        many=True, read_only=True,
        help_text="Stored and queued anyway; e.g. `messaging_limit`: the session takes the business portfolio past "
        "Meta's messaging limit, and its recipients past it wait until the 24-hour window allows them "
        "(docs/who-can-receive.md); `marketing_messages_fallback`: the business is not onboarded on the Marketing "
        "Messages API, so Meta sends through the Cloud API. Empty when there is nothing to say, and on a replay.",
    )

    class Meta(SessionOutput.Meta):
        fields = [*SessionOutput.Meta.fields, "invalid", "duplicates", "warnings", "callback_secret"]



class BroadcastOutput(serializers.ModelSerializer):
    pricing = serializers.SerializerMethodField(
        help_text="Meta's pricing of the delivered message (counted once), or null before it is delivered."
    )

    class Meta:
        model = Broadcast
        fields = [
            "id",
            "session",
            "address",
            "params",
            "reference",
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
            "pricing",
            "updated_at",
        ]

    @extend_schema_field(PricingOutput(allow_null=True))
    def get_pricing(self, broadcast: Broadcast) -> dict | None:
        if broadcast.pricing_billable is None:
            return None
        return {"billable": broadcast.pricing_billable, "category": broadcast.pricing_category,
                "type": broadcast.pricing_type, "amount": money(broadcast.cost or 0), "country": broadcast.cost_country}


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
            "requested_at",
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
