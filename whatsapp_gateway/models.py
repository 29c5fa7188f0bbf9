"""Tenancy: an App owns API keys, transports, templates and sessions."""

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class App(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True, help_text="Inactive apps' keys are refused.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("app")


class AppAPIKey(AbstractAPIKey):
    """An API key of one app, stored hashed; the key itself is shown once at creation."""

    objects = AppAPIKeyManager()
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class WorkerHeartbeat(models.Model):
    """Last sign of life of each Celery worker, for readiness checks and the dashboard."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        # The dashboard shows every app's sessions, failures and transports: granted, not implied by is_staff.
        permissions = [("view_operations_dashboard", "Can view the operations dashboard")]

    def __str__(self) -> str:
        return self.hostname
