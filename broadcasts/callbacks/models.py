"""Callbacks: an app's endpoints, the outbox of events recorded with each state change, and their deliveries."""

import uuid

from django.db import models
from django.utils import timezone

from whatsapp_gateway.models import App

EVENT_TYPES = (
    "session.started",
    "session.completed",
    "session.failed",
    "session.cancelled",
    "session.paused",
    "broadcast.sent",
    "broadcast.delivered",
    "broadcast.read",
    "broadcast.failed",
    "broadcast.unknown",
    "inbound.message",
    "template.status_changed",
)
SESSION_CALLBACK_EVENTS = tuple(t for t in EVENT_TYPES if t.startswith(("session.", "broadcast.")))
PING = "ping"  # sent by POST /callbacks/{id}/test only; never recorded in the outbox


class Callback(models.Model):
    """An endpoint of an app where signed events go, at least once, in order per endpoint."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="callbacks")
    session = models.OneToOneField(
        "broadcasts.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="callback",
        help_text="A session's own endpoint (its `callback_url`): only that session's events go there.",
    )
    url = models.URLField(max_length=2000, help_text="Checked by the network guard, as transport URLs are.")
    events = models.JSONField(default=list, blank=True, help_text="Event types sent here; empty means all.")
    is_active = models.BooleanField(default=True)
    batch_size = models.PositiveSmallIntegerField(
        default=1, help_text="Events per POST (1-100): more keeps up with high volume in fewer requests."
    )
    # {"secret": "whsec_…"} encrypted like transport secrets (transports/secrets.py), never shown after creation.
    encrypted_secret = models.TextField(blank=True, default="", editable=False)
    encrypted_previous_secret = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Until then a rotated-out secret signs too (a second v1)."
    )
    disabled_reason = models.TextField(blank=True, default="", help_text="Why the gateway stopped sending here.")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Delivery state of the endpoint: events go out in order, so a failing endpoint holds all of them.
    failures = models.PositiveIntegerField(default=0, help_text="Failed POSTs in a row.")
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure of the current streak.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not tried again before this.")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker is delivering until then.")
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["app", "is_active"])]

    def __str__(self) -> str:
        return f"Callback {self.pk} ({self.app})"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class CallbackEvent(models.Model):
    """The outbox: one event, written in the transaction of the state change it tells of."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="callback_events")
    type = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    session = models.ForeignKey(
        "broadcasts.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="callback_events"
    )
    broadcast = models.ForeignKey(
        "broadcasts.Broadcast", on_delete=models.CASCADE, null=True, blank=True, related_name="callback_events"
    )
    address = models.CharField(max_length=64, blank=True, default="")
    reference = models.CharField(max_length=128, blank=True, default="")
    sequence = models.PositiveIntegerField(
        default=0, help_text="Increasing per broadcast (per session for session events), from 1."
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["broadcast", "sequence"], name="callback_event_bcast_seq_idx"),
            models.Index(fields=["session", "sequence"], name="callback_event_sess_seq_idx"),
            models.Index(fields=["app", "created_at"], name="callback_event_app_time_idx"),
            models.Index(fields=["created_at"], name="callback_event_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class CallbackDelivery(models.Model):
    """One event for one endpoint: delivered at least once, or given up with the endpoint."""

    class State(models.TextChoices):
        PENDING = "PENDING"
        DELIVERED = "DELIVERED"
        FAILED = "FAILED", "Failed (given up: the endpoint was disabled)"

    event = models.ForeignKey(CallbackEvent, on_delete=models.CASCADE, related_name="deliveries")
    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_response_excerpt = models.TextField(blank=True, default="", help_text="Truncated, redacted.")
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "callback deliveries"
        indexes = [models.Index(fields=["callback", "state", "id"], name="callback_delivery_queue_idx")]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.state})"


class CallbackAttempt(models.Model):
    """One POST to an endpoint (one or more events), success or not: the delivery log."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempts")
    events = models.PositiveSmallIntegerField(default=0, help_text="Events in the body (0 for a ping).")
    event_ids = models.JSONField(default=list, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True, default="", help_text="Truncated, redacted.")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["callback", "-id"], name="callback_attempt_cb_idx"),
            models.Index(fields=["created_at"], name="callback_attempt_time_idx"),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk} ({self.status_code or self.error[:20]})"
