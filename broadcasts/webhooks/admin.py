"""Admin for stored webhook events (never deleted here) and inbound messages: read-only, one action to retry an event.

Imported by `broadcasts/admin.py` (Django's autodiscovery only imports each app's `admin` module).
"""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from broadcasts.admin_base import AuditAdmin, ReadOnlyAdmin
from broadcasts.admin_masking import PersonalDataAdminMixin
from broadcasts.models import InboundMessage, WebhookEvent
from broadcasts.services.webhooks.events import webhook_event_retry_now
from transports.redaction import mask_phone, phones_masked


def _pretty(value) -> str:
    return format_html("<pre style='white-space:pre-wrap'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(WebhookEvent)
class WebhookEventAdmin(PersonalDataAdminMixin, AuditAdmin):
    list_display = ["id", "transport", "state", "received_at", "attempts", "unmatched_count", "processed_at"]
    list_filter = ["state", "transport"]
    date_hierarchy = "received_at"
    list_select_related = ["transport", "transport__app"]
    search_fields = ["=id", "body_sha256"]
    readonly_fields = [
        "id", "transport", "state", "received_at", "attempts", "next_attempt_at", "processed_at", "error",
        "summary_pretty", "unmatched_pretty", "payload_pretty", "body_sha256",
    ]
    exclude = ["payload", "summary", "unmatched"]
    actions = ["retry_now"]
    masked_fields = ("unmatched_pretty", "payload_pretty", "error")

    def get_queryset(self, request):
        # The payload can be large and the changelist never shows it; the detail page loads it on demand.
        return super().get_queryset(request).defer("payload")

    @admin.display(description="Unmatched")
    def unmatched_count(self, event: WebhookEvent) -> int:
        return len(event.unmatched or [])

    @admin.display(description="Summary")
    def summary_pretty(self, event: WebhookEvent) -> str:
        return _pretty(event.summary)

    @admin.display(description="Statuses waiting for (or given up on) their wamid")
    def unmatched_pretty(self, event: WebhookEvent) -> str:
        return _pretty(event.unmatched)

    @admin.display(description="Payload as Meta sent it")
    def payload_pretty(self, event: WebhookEvent) -> str:
        return _pretty(event.payload)

    @admin.display(description="Statuses waiting for (or given up on) their wamid")
    def unmatched_pretty_masked(self, event: WebhookEvent) -> str:
        return _pretty(phones_masked(event.unmatched))

    @admin.display(description="Payload as Meta sent it (numbers masked)")
    def payload_pretty_masked(self, event: WebhookEvent) -> str:
        return _pretty(phones_masked(event.payload))

    @admin.display(description="Error")
    def error_masked(self, event: WebhookEvent) -> str:
        return phones_masked(event.error)

    @admin.action(description="Process the selected events again now")
    def retry_now(self, request, queryset) -> None:
        states = [webhook_event_retry_now(event_id=pk) for pk in queryset.values_list("id", flat=True)]
        self.message_user(
            request, f"Processed {len(states)} event(s); {states.count(WebhookEvent.State.PROCESSED)} fully matched.",
            messages.SUCCESS,
        )


@admin.register(InboundMessage)
class InboundMessageAdmin(PersonalDataAdminMixin, ReadOnlyAdmin):
    list_display = ["timestamp", "transport", "wa_id", "profile_name", "type", "text_excerpt"]
    list_filter = ["type", "transport", "app"]
    date_hierarchy = "timestamp"
    list_select_related = ["transport", "transport__app"]
    search_fields = ["wa_id", "profile_name", "message_id"]
    readonly_fields = [
        "message_id", "transport", "app", "wa_id", "profile_name", "type", "text", "timestamp", "received_at",
        "payload_pretty",
    ]
    exclude = ["payload"]
    masked_fields = ("wa_id", "text_excerpt", "text", "payload_pretty")

    @admin.display(description="Text")
    def text_excerpt(self, message: InboundMessage) -> str:
        return message.text[:80]

    @admin.display(description="Wa id")
    def wa_id_masked(self, message: InboundMessage) -> str:
        return mask_phone(message.wa_id)

    @admin.display(description="Text")
    def text_excerpt_masked(self, message: InboundMessage) -> str:
        return phones_masked(message.text[:80], (message.wa_id,))

    @admin.display(description="Text")
    def text_masked(self, message: InboundMessage) -> str:
        return phones_masked(message.text, (message.wa_id,))

    @admin.display(description="Payload as Meta sent it (numbers masked)")
    def payload_pretty_masked(self, message: InboundMessage) -> str:
        return _pretty(phones_masked(message.payload, (message.wa_id,)))

    @admin.display(description="Payload as Meta sent it")
    def payload_pretty(self, message: InboundMessage) -> str:
        return _pretty(message.payload)
