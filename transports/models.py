"""Transports: how messages leave the gateway."""

from django.conf import settings
from django.db import models

from transports import defaults, providers
from whatsapp_gateway.models import App


class Transport(models.Model):
    """A generic HTTP "API transport" described by JSON config; WhatsApp Cloud is its preset.

    Secrets (access token, app secret, verify token) live encrypted in `encrypted_secrets`,
    never in `config`, so the config can be shown and logged freely.
    """

    class Kind(models.TextChoices):
        API = "API", "API transport"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="transports")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.API)
    config = models.JSONField(default=dict, help_text="Request, validation, limits and response rules.")
    encrypted_secrets = models.TextField(blank=True, default="", editable=False)
    is_active = models.BooleanField(default=True)
    stopped_reason = models.TextField(
        blank=True, default="", help_text="Why sending stopped, e.g. Meta refused the access token."
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Read from Meta's phone number node on template sync (transports/whatsapp/limits.py).
    messaging_limit = models.CharField(
        max_length=32, blank=True, default="",
        help_text="Meta's messaging limit of the business portfolio, e.g. TIER_2K (unique users in 24 hours).",
    )
    quality_rating = models.CharField(max_length=16, blank=True, default="", help_text="The number's, at Meta.")
    limits_read_at = models.DateTimeField(null=True, blank=True, help_text="When the limit and rating were read.")
    display_phone_number = models.CharField(
        max_length=32, blank=True, default="", help_text="The number as Meta shows it; names it in Meta's webhooks."
    )
    # Read from the WhatsApp Business Account node on template sync (transports/whatsapp/onboarding.py).
    marketing_messages_onboarding = models.CharField(
        max_length=48, blank=True, default="",
        help_text="The business's state on Meta's Marketing Messages API, e.g. ONBOARDED or ELIGIBLE.",
    )
    marketing_onboarding_read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the Marketing Messages onboarding state was read."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["app", "name"], name="transport_unique_name_per_app")]

    def __str__(self) -> str:
        return f"{self.name} ({self.app})"

    @property
    def max_attempts(self) -> int:
        return int(self.config.get("maxAttempts", defaults.MAX_ATTEMPTS))

    @property
    def retry_window(self) -> float:
        return providers.retry_window(self.config)

    @property
    def rate_limit(self) -> float:
        return float(self.config.get("rateLimit", defaults.RATE_LIMIT))

    @property
    def batch_size(self) -> int:
        return int(self.config.get("batchSize") or settings.BATCH_SIZE)

    @property
    def batch_delay(self) -> float:
        value = self.config.get("batchDelay")
        return float(settings.BATCH_DELAY if value is None else value)

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None


class PhoneNumberQualityChange(models.Model):
    """A change of a transport's number at Meta: its messaging limit or quality rating, by webhook or read on sync.

    Meta announces them with `phone_number_quality_update` (transports/whatsapp/quality.py); a sync that reads
    other values than the stored ones records the difference too.
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Meta's webhook"
        SYNC = "sync", "Read on sync"

    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="quality_changes")
    source = models.CharField(max_length=16, choices=Source.choices)
    event = models.CharField(
        max_length=32, blank=True, default="", help_text="Meta's event, e.g. UPGRADE, DOWNGRADE, FLAGGED."
    )
    old_messaging_limit = models.CharField(max_length=32, blank=True, default="")
    new_messaging_limit = models.CharField(max_length=32, blank=True, default="")
    old_quality_rating = models.CharField(max_length=16, blank=True, default="")
    new_quality_rating = models.CharField(max_length=16, blank=True, default="")
    changed_at = models.DateTimeField(help_text="When Meta sent it, or when the sync read it.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["transport", "-changed_at"], name="quality_change_by_transport")]

    def __str__(self) -> str:
        return f"{self.transport}: {self.event or self.source} at {self.changed_at:%Y-%m-%d %H:%M}"
