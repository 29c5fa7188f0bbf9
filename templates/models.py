"""WhatsApp message templates as Meta knows them, synced from a transport's WABA."""

from django.db import models

from transports.models import Transport
from whatsapp_gateway.models import App


class Template(models.Model):
    class Status(models.TextChoices):
        APPROVED = "APPROVED"
        PENDING = "PENDING"
        REJECTED = "REJECTED"
        PAUSED = "PAUSED"
        DISABLED = "DISABLED"
        IN_APPEAL = "IN_APPEAL"
        PENDING_DELETION = "PENDING_DELETION"
        DELETED = "DELETED"
        LIMIT_EXCEEDED = "LIMIT_EXCEEDED"

    class Category(models.TextChoices):
        MARKETING = "MARKETING"
        UTILITY = "UTILITY"
        AUTHENTICATION = "AUTHENTICATION"

    class ParameterFormat(models.TextChoices):
        POSITIONAL = "POSITIONAL"
        NAMED = "NAMED"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="templates")
    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="templates")
    meta_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=15)
    category = models.CharField(max_length=20, choices=Category.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    quality_score = models.CharField(max_length=10, blank=True, default="")
    parameter_format = models.CharField(
        max_length=10, choices=ParameterFormat.choices, default=ParameterFormat.POSITIONAL
    )
    components = models.JSONField(default=list)
    rejected_reason = models.TextField(blank=True, default="")
    deleted_at_meta = models.DateTimeField(null=True, blank=True, help_text="When a sync no longer found it.")
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["transport", "name", "language"], name="template_unique_per_transport_language"
            )
        ]
        indexes = [models.Index(fields=["app", "status"])]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"


class TemplateCategoryChange(models.Model):
    """One recategorisation of a template by Meta, as its webhook or a sync reported it."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Meta's template_category_update webhook"
        SYNC = "sync", "A template sync"

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="category_changes")
    previous_category = models.CharField(max_length=20, blank=True, default="")
    new_category = models.CharField(max_length=20, choices=Template.Category.choices)
    changed_at = models.DateTimeField(help_text="When Meta changed it (its own time when the webhook gives one).")
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.template}: {self.previous_category or '?'} → {self.new_category}"
