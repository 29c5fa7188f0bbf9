from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from transports.config_schema import config_errors
from transports.models import Transport
from transports.secrets import secrets_decrypt, secrets_encrypt, secrets_env_errors, secrets_merged
from transports.services import transport_resume
from whatsapp_gateway.api_input import JSONFormField


class TransportForm(forms.ModelForm):
    """Config checked against the published schema; secrets are write-only (blank keeps the stored value)."""

    access_token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="accessToken secret, or env:NAME for a variable listed in TRANSPORT_SECRET_ENV_NAMES. "
        "Leave blank to keep the stored value.",
    )
    app_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    verify_token = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    other_secrets = JSONFormField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Any other secrets as a JSON object, e.g. {"apiKey": "…"}; null removes one. '
        "Never shown again: the page lists secret names only.",
    )

    class Meta:
        model = Transport
        fields = ["app", "name", "kind", "config", "is_active"]

    _SECRET_FIELDS = {"access_token": "accessToken", "app_secret": "appSecret", "verify_token": "verifyToken"}

    def clean_other_secrets(self):
        value = self.cleaned_data["other_secrets"]
        if value in (None, ""):
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) or v is None for v in value.values()):
            raise forms.ValidationError('Give a JSON object of names to text values (or null), e.g. {"apiKey": "…"}.')
        return value

    def secrets_after_save(self) -> dict:
        """The stored secrets with this form's changes: the named fields, then the other secrets (null removes)."""
        data = self.cleaned_data
        stored = secrets_decrypt(self.instance.encrypted_secrets) if self.instance.pk else {}
        given = {name: data[field] for field, name in self._SECRET_FIELDS.items() if data.get(field)}
        return secrets_merged(stored, {**(data.get("other_secrets") or {}), **given})

    def clean(self):
        cleaned = super().clean()
        config = cleaned.get("config")
        if config is not None and "other_secrets" in cleaned:
            errors = config_errors(config, secrets=dict.fromkeys(self.secrets_after_save(), ""))
            if errors:
                self.add_error("config", errors)
        # Operators may name environment variables, but only those TRANSPORT_SECRET_ENV_NAMES lists.
        for field, name in self._SECRET_FIELDS.items():
            for error in secrets_env_errors({name: cleaned.get(field)}, operator=True):
                self.add_error(field, error.split(": ", 1)[1])
        for error in secrets_env_errors(cleaned.get("other_secrets") or {}, operator=True, field="other_secrets"):
            self.add_error("other_secrets", error)
        return cleaned

    def save(self, commit=True):
        secrets = self.secrets_after_save()  # read before super().save() can touch the instance
        transport = super().save(commit=False)
        if secrets != secrets_decrypt(transport.encrypted_secrets):
            transport.encrypted_secrets = secrets_encrypt(secrets)
        if commit:
            transport.save()
        return transport


@admin.register(Transport)
class TransportAdmin(admin.ModelAdmin):
    form = TransportForm
    formfield_overrides = {models.JSONField: {"form_class": JSONFormField}}
    list_display = ["name", "app", "kind", "is_active", "stopped_at", "stopped_reason", "created_at"]
    list_filter = ["kind", "is_active", ("stopped_at", admin.EmptyFieldListFilter), "app"]
    search_fields = ["name", "app__name"]
    readonly_fields = ["secret_names", "stopped_at", "stopped_reason", "created_at", "updated_at"]
    list_select_related = ["app"]
    # Apps built on transports add theirs with transport_admin_action (test sends, template sync).
    actions = ["resume_sending"]

    @admin.action(description="Resume sending (after fixing what stopped it)")
    def resume_sending(self, request, queryset):
        sessions = reverse("admin:broadcasts_session_changelist")
        for transport in queryset.filter(stopped_at__isnull=False):
            transport_resume(transport=transport)
            # The stop failed its running sessions; the operator decides which are still worth sending.
            failed = f"{sessions}?transport__id__exact={transport.pk}&status__exact=FAILED"
            self.message_user(request, format_html(
                '{}: resumed. <a href="{}">Its failed sessions</a>: select the ones to send and run Trigger.',
                transport, failed,
            ))

    @admin.display(description="Stored secrets")
    def secret_names(self, transport: Transport) -> str:
        return ", ".join(sorted(secrets_decrypt(transport.encrypted_secrets))) or "-"


def transport_admin_action(action):
    """Add an admin action to the transport list, for the apps built on transports; returns it (a decorator).

    Transports imports nothing of sessions or templates, so their actions are added from their own apps.
    """
    TransportAdmin.actions = [*TransportAdmin.actions, action]
    return action
