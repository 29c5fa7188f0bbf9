from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from transports import defaults
from transports.addresses import STRICT_VALID, STRICTNESS
from transports.models import PhoneNumberQualityChange, Transport
from transports.secrets import secrets_decrypt
from transports.services import (
    TransportConfigInvalid,
    TransportNameTaken,
    transport_config_from_shorthand,
    transport_create,
    transport_resume,
    transport_update,
)
from transports.whatsapp.preset import (
    API_VERSION_PATTERN,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    GRAPH_ID_PATTERN,
    MARKETING_MODES,
    MARKETING_OFF,
    SHORTHAND_OPTIONS,
    SHORTHAND_SECRETS,
    WHATSAPP_CLOUD,
    whatsapp_cloud_options,
)
from transports.whatsapp.quality import RECENT
from whatsapp_gateway.api_input import JSONFormField

QUALITY_CHANGE_FIELDS = [
    "changed_at", "source", "event", "old_messaging_limit", "new_messaging_limit", "old_quality_rating",
    "new_quality_rating",
]

# Form field → secret name: the WhatsApp secrets have fields of their own in both forms.
_SECRET_FIELDS = SHORTHAND_SECRETS
_FIELD_OF_SECRET = {name: field for field, name in _SECRET_FIELDS.items()}
_KEEP_HELP = "Leave blank to keep the stored value; env:NAME for a variable listed in TRANSPORT_SECRET_ENV_NAMES."


def _secret_field(label: str, help_text: str = _KEEP_HELP) -> forms.CharField:
    # What the operator typed comes back after a validation error; a stored secret is never rendered.
    return forms.CharField(
        label=label, required=False, widget=forms.PasswordInput(render_value=True), help_text=help_text
    )


class _ThroughServicesForm(forms.ModelForm):
    """A transport form saved by transport_create / transport_update: the services check the config,
    merge and encrypt the secrets and refuse a taken name, and their errors show on the form's fields."""

    access_token = _secret_field("Access token")
    app_secret = _secret_field("App secret", "Checks the signature of Meta's webhooks. " + _KEEP_HELP)
    verify_token = _secret_field("Verify token", "Answers Meta's webhook handshake. " + _KEEP_HELP)

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        stored = Transport.objects.get(pk=self.instance.pk) if self.instance.pk else None
        try:
            self.instance = self.services_save(self.cleaned_data, stored)
        except TransportConfigInvalid as error:
            for problem in error.problems:
                field, message = self.error_field(problem)
                self.add_error(field, message)
        except TransportNameTaken as error:
            self.add_error("name", str(error))

    def services_save(self, data: dict, stored: Transport | None) -> Transport:
        raise NotImplementedError

    def error_field(self, problem: str) -> tuple[str | None, str]:
        """The form field a service's "field: rule" problem belongs to, and the message to show there."""
        raise NotImplementedError

    def typed_secrets(self, data: dict) -> dict:
        return {name: data[field] for field, name in _SECRET_FIELDS.items() if data.get(field)}

    def save(self, commit=True):
        self.save_m2m = lambda: None  # no relations to save; the services saved the transport in _post_clean
        return self.instance


class TransportForm(_ThroughServicesForm):
    """Any API transport as its JSON config; secrets are write-only (blank keeps the stored value)."""

    other_secrets = JSONFormField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Any other secrets as a JSON object, e.g. {"apiKey": "…"}; null removes one. '
        "Never shown again: the page lists secret names only.",
    )

    class Meta:
        model = Transport
        fields = ["app", "name", "kind", "config", "is_active"]
        help_texts = {
            "config": "Request, validation, limits and response rules (the schema: /api/v1/transports/schema). "
            "For Meta's Cloud API, Add WhatsApp transport writes it for you.",
        }

    def clean_other_secrets(self):
        value = self.cleaned_data["other_secrets"]
        if value in (None, ""):
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) or v is None for v in value.values()):
            raise forms.ValidationError('Give a JSON object of names to text values (or null), e.g. {"apiKey": "…"}.')
        return value

    def services_save(self, data: dict, stored: Transport | None) -> Transport:
        secrets = {**data["other_secrets"], **self.typed_secrets(data)}
        if stored is None:
            return transport_create(
                app=data["app"], name=data["name"], config=data["config"], secrets=secrets,
                is_active=data["is_active"], operator=True,
            )
        return transport_update(
            transport=stored, name=data["name"], config=data["config"], secrets=secrets,
            is_active=data["is_active"], operator=True,
        )

    def error_field(self, problem: str) -> tuple[str | None, str]:
        field, _, rule = problem.partition(": ")
        if field.startswith("secrets."):
            name = field.removeprefix("secrets.")
            return (_FIELD_OF_SECRET[name], rule) if name in _FIELD_OF_SECRET else ("other_secrets", problem)
        return "config", problem


class WhatsAppTransportForm(_ThroughServicesForm):
    """Meta's Cloud API by its ids, token and rate: the preset writes the config, so no JSON is pasted."""

    phone_number_id = forms.RegexField(GRAPH_ID_PATTERN, max_length=32, label="Phone number id")
    business_account_id = forms.RegexField(
        GRAPH_ID_PATTERN, max_length=32, required=False, label="WhatsApp Business Account id",
        help_text="Needed to sync templates.",
    )
    access_token = _secret_field("Access token", "Required on a new transport. " + _KEEP_HELP)
    rate_limit = forms.FloatField(
        required=False, min_value=defaults.RATE_LIMIT_MIN, max_value=defaults.RATE_LIMIT_MAX,
        label="Rate limit", help_text=f"Messages per second (default {defaults.RATE_LIMIT}, Meta's first tier).",
    )
    phone_strictness = forms.ChoiceField(
        choices=[(value, value) for value in STRICTNESS], initial=STRICT_VALID,
        help_text="possible accepts Meta's +1 555 test numbers.",
    )
    marketing_messages = forms.ChoiceField(
        choices=[(value, value) for value in MARKETING_MODES], initial=MARKETING_OFF, required=False,
        label="Marketing Messages API",
        help_text="Where MARKETING templates go: off (/messages), prefer (/marketing_messages, falling back to the "
        "Cloud API where the number is not onboarded), only (no fallback). Other templates always use /messages.",
    )
    api_version = forms.RegexField(API_VERSION_PATTERN, required=False, help_text=f"Default {DEFAULT_API_VERSION}.")
    base_url = forms.URLField(
        required=False, assume_scheme="https", label="Graph API URL", help_text=f"Default {DEFAULT_BASE_URL}."
    )

    class Meta:
        model = Transport
        fields = ["app", "name", "is_active"]

    _OPTIONS = (
        "phone_number_id", "business_account_id", "rate_limit", "phone_strictness", "marketing_messages", "api_version",
        "base_url",
    )
    _OPTION_OF_KEY = {key: option for option, key in SHORTHAND_OPTIONS.items()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for option, value in whatsapp_cloud_options(self.instance.config).items():
                if option in self.fields:
                    self.initial.setdefault(option, value)

    def services_save(self, data: dict, stored: Transport | None) -> Transport:
        # Left blank, an option keeps its stored value (or the preset's default); the WABA id can be cleared.
        options = {o: data[o] for o in self._OPTIONS if data.get(o) not in (None, "") or o == "business_account_id"}
        if stored is None:
            shorthand = {**options, **{field: data[field] for field in _SECRET_FIELDS if data.get(field)}}
            return transport_create(
                app=data["app"], name=data["name"], whatsapp_cloud=shorthand, is_active=data["is_active"],
                operator=True,
            )
        stored_secrets = secrets_decrypt(stored.encrypted_secrets)
        config, _ = transport_config_from_shorthand(
            whatsapp_cloud={**whatsapp_cloud_options(stored.config), **options}, token_required=False
        )
        # What the preset does not write (onTimeout, batchSize… set as JSON) stays as it was.
        extras = {k: v for k, v in stored.config.items() if k not in config and k not in self._OPTION_OF_KEY}
        if "accessToken" not in stored_secrets and not data.get("access_token"):
            raise TransportConfigInvalid(["whatsapp_cloud.access_token: is required"])
        return transport_update(
            transport=stored, name=data["name"], config={**extras, **config}, secrets=self.typed_secrets(data),
            is_active=data["is_active"], operator=True,
        )

    def error_field(self, problem: str) -> tuple[str | None, str]:
        field, _, rule = problem.partition(": ")
        if field.startswith("whatsapp_cloud."):
            field = field.removeprefix("whatsapp_cloud.")
        elif field.startswith("secrets."):
            field = _FIELD_OF_SECRET.get(field.removeprefix("secrets."), "")
        else:
            field = self._OPTION_OF_KEY.get(field.split(".")[0], "")
        return (field, rule) if field in self.fields else (None, problem)


@admin.register(PhoneNumberQualityChange)
class PhoneNumberQualityChangeAdmin(admin.ModelAdmin):
    """Read-only: Meta's phone_number_quality_update webhooks and differences read on sync, as they arrived."""

    list_display = ["changed_at", "transport", *QUALITY_CHANGE_FIELDS[1:]]
    list_filter = ["source", "event", "new_quality_rating", "transport__app"]
    search_fields = ["transport__name", "transport__display_phone_number"]
    list_select_related = ["transport__app"]
    readonly_fields = ["transport", *QUALITY_CHANGE_FIELDS, "recorded_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transport)
class TransportAdmin(admin.ModelAdmin):
    """A WhatsApp transport gets the WhatsApp form (add/?preset=whatsapp_cloud, and its change page);
    any other, or ?config=json on either page, the JSON config form."""

    form = TransportForm
    formfield_overrides = {models.JSONField: {"form_class": JSONFormField}}
    list_display = [
        "name", "app", "kind", "is_active", "stopped_at", "stopped_reason", "display_phone_number",
        "messaging_limit", "quality_rating", "marketing_messages_onboarding", "created_at",
    ]
    list_filter = ["kind", "is_active", ("stopped_at", admin.EmptyFieldListFilter), "app"]
    search_fields = ["name", "app__name"]
    readonly_fields = [
        "secret_names", "stopped_at", "stopped_reason", "display_phone_number", "messaging_limit", "quality_rating",
        "limits_read_at", "marketing_messages_onboarding", "marketing_onboarding_read_at", "recent_quality_changes",
        "created_at", "updated_at",
    ]
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

    def whatsapp_form_wanted(self, request, obj=None) -> bool:
        if request.GET.get("config") == "json":
            return False
        if obj is None:
            return request.GET.get("preset") == WHATSAPP_CLOUD
        return obj.config.get("preset") == WHATSAPP_CLOUD

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self.whatsapp_form_wanted(request, obj):
            kwargs["form"] = WhatsAppTransportForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form saved the transport through the services when it was validated."""

    @admin.display(description=f"Recent messaging limit and quality changes (last {RECENT})")
    def recent_quality_changes(self, transport: Transport) -> str:
        changes = list(transport.quality_changes.all()[:RECENT]) if transport.pk else []
        if not changes:
            return "-"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{} → {}</td></tr>", (
            (localize(localtime(c.changed_at)), c.get_source_display(), c.event or "-",
             c.old_messaging_limit or "?", c.new_messaging_limit or "?",
             c.old_quality_rating or "?", c.new_quality_rating or "?") for c in changes
        ))
        everything = reverse("admin:transports_phonenumberqualitychange_changelist")
        return format_html(
            "<table><thead><tr><th>When</th><th>From</th><th>Event</th><th>Messaging limit</th><th>Quality rating</th>"
            '</tr></thead><tbody>{}</tbody></table><a href="{}?transport__id__exact={}">All changes</a>',
            rows, everything, transport.pk,
        )

    @admin.display(description="Stored secrets")
    def secret_names(self, transport: Transport) -> str:
        return ", ".join(sorted(secrets_decrypt(transport.encrypted_secrets))) or "-"


def transport_admin_action(action):
    """Add an admin action to the transport list, for the apps built on transports; returns it (a decorator).

    Transports imports nothing of sessions or templates, so their actions are added from their own apps.
    """
    TransportAdmin.actions = [*TransportAdmin.actions, action]
    return action
