"""The rate card an app prices Meta's messages with, and what they cost per transport and day."""

from django.db import models

from transports.models import Transport
from whatsapp_gateway.models import App


class RateCard(models.Model):
    """An app's own prices per category and recipient country; without one the default card applies."""

    app = models.OneToOneField(App, on_delete=models.CASCADE, related_name="rate_card")
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. USD, EUR, BRL.")
    rates = models.JSONField(
        default=dict,
        help_text='{"default": {"MARKETING": "0.05", "UTILITY": "0.01", "AUTHENTICATION": "0.01", '
        '"AUTHENTICATION_INTERNATIONAL": "0.03"}, "BR": {...}}: per country (ISO 3166, e.g. BR) the price of one '
        'delivered template by category; "default" prices every country not listed.',
    )
    effective_date = models.DateField(null=True, blank=True, help_text="The date the prices are Meta's from.")
    source = models.CharField(max_length=255, blank=True, default="", help_text="Where the prices come from.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rate card of {self.app} ({self.currency})"


class CostDaily(models.Model):
    """Priced messages and their cost by day (UTC), transport and Meta's pricing category: kept when data is purged."""

    day = models.DateField()
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=32, help_text="Meta's pricing category, e.g. marketing.")
    currency = models.CharField(max_length=3)
    billable = models.PositiveIntegerField(default=0)
    free = models.PositiveIntegerField(default=0, help_text="Not charged: inside a free window, or free-form.")
    amount = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        verbose_name = "daily cost"
        verbose_name_plural = "daily costs"
        ordering = ["-day", "transport_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["day", "transport", "category", "currency"], name="cost_daily_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category}: {self.amount} {self.currency}"
