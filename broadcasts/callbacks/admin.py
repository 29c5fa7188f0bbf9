"""The operators' console for callbacks: endpoints (create, rotate, disable, ping), deliveries (redeliver), attempts.

A secret is shown once, in the message after it was made (created or rotated), never on a page.
"""

from django import forms
from django.contrib import admin, messages

from broadcasts.admin_base import AuditAdmin, ReadOnlyAdmin
from broadcasts.callbacks.models import EVENT_TYPES, Callback, CallbackAttempt, CallbackDelivery
from broadcasts.callbacks.services.delivery import callback_ping, deliveries_redeliver
from broadcasts.callbacks.services.endpoints import (
    CallbackError,
    callback_create,
    callback_disable,
    callback_events_check,
    callback_rotate,
    callback_update,
    callback_url_check,
)

EDITABLE = ("app", "url", "events", "is_active", "batch_size")


class CallbackForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", help_text="Checked by the network guard.")
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in EVENT_TYPES], required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None ticked: every event.",
    )

    class Meta:
        model = Callback
        fields = list(EDITABLE)

    def clean_url(self):
        try:
            callback_url_check(url=self.cleaned_data["url"])
        except CallbackError as error:
            raise forms.ValidationError(str(error)) from error
        return self.cleaned_data["url"]

    def clean_events(self):
        return callback_events_check(events=self.cleaned_data.get("events") or [])


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    form = CallbackForm
    list_display = ["id", "app", "url", "is_active", "events_shown", "failures", "next_attempt_at", "last_success_at",
                    "disabled_reason"]
    list_filter = ["is_active", "app"]
    list_select_related = ["app"]
    search_fields = ["url"]
    readonly_fields = ["session", "failures", "failing_since", "next_attempt_at", "last_success_at", "disabled_at",
                       "disabled_reason", "previous_secret_expires_at", "created_at", "updated_at"]
    actions = ["rotate_secret", "disable", "enable", "send_ping"]

    @admin.display(description="Events")
    def events_shown(self, callback: Callback) -> str:
        return ", ".join(callback.events) or "all"

    def changelist_view(self, request, extra_context=None):
        # The notice: an endpoint the gateway gave up on must not go unseen.
        for callback in Callback.objects.filter(is_active=False).exclude(disabled_reason="").select_related("app"):
            self.message_user(
                request, f"Callback {callback.pk} of {callback.app} ({callback.url}) is disabled: "
                f"{callback.disabled_reason}", messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        values = {name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data}
        if change:
            callback_update(callback=obj, **{name: values[name] for name in form.changed_data if name in values})
            return
        callback, secret = callback_create(**values)
        obj.pk = callback.pk
        self.message_user(
            request, f"Callback {callback.pk} created. Its signing secret, shown this once: {secret}", messages.SUCCESS
        )

    @admin.action(description="Rotate the signing secret (the previous one signs for 24 more hours)")
    def rotate_secret(self, request, queryset) -> None:
        for callback in queryset:
            _, secret, expires = callback_rotate(callback=callback)
            self.message_user(
                request, f"Callback {callback.pk}: new signing secret, shown this once: {secret} "
                f"(the previous one signs too until {expires:%Y-%m-%d %H:%M} UTC).", messages.SUCCESS,
            )

    @admin.action(description="Disable (nothing more is recorded or sent)")
    def disable(self, request, queryset) -> None:
        for callback in queryset:
            callback_disable(callback=callback, reason=f"Disabled by {request.user} in the admin.")
        self.message_user(request, f"Disabled {queryset.count()} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Enable (what a disabled endpoint missed is sent, in order)")
    def enable(self, request, queryset) -> None:
        for callback in queryset:
            callback_update(callback=callback, is_active=True)
        self.message_user(request, f"Enabled {queryset.count()} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Send a test ping")
    def send_ping(self, request, queryset) -> None:
        for callback in queryset:
            attempt = callback_ping(callback=callback)
            self.message_user(
                request, f"Callback {callback.pk}: " + (
                    f"answered {attempt.status_code} in {attempt.duration_ms} ms." if attempt.ok
                    else f"failed: {attempt.error}"
                ), messages.SUCCESS if attempt.ok else messages.ERROR,
            )


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(AuditAdmin):
    list_display = ["id", "callback", "event_type", "event_reference", "state", "attempts", "last_status_code",
                    "last_duration_ms", "created_at", "delivered_at"]
    list_filter = ["state", "event__type", "callback__app", "callback"]
    list_select_related = ["callback", "event"]
    search_fields = ["=event__id", "=event__reference"]
    date_hierarchy = "created_at"
    readonly_fields = ["callback", "event_id_shown", "event_type", "event_reference", "state", "attempts",
                       "next_attempt_at", "last_status_code", "last_duration_ms", "last_response_excerpt", "last_error",
                       "created_at", "delivered_at"]
    exclude = ["event"]
    actions = ["redeliver"]

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, delivery: CallbackDelivery) -> str:
        return delivery.event.type

    @admin.display(description="Reference")
    def event_reference(self, delivery: CallbackDelivery) -> str:
        return delivery.event.reference

    @admin.display(description="Event id")
    def event_id_shown(self, delivery: CallbackDelivery) -> str:
        return str(delivery.event_id)

    @admin.action(description="Redeliver the selected events")
    def redeliver(self, request, queryset) -> None:
        count = deliveries_redeliver(deliveries=queryset)
        self.message_user(request, f"{count} event(s) will be delivered again, in order.", messages.SUCCESS)


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "callback", "created_at", "ok", "status_code", "duration_ms", "events", "error"]
    list_filter = ["ok", "callback__app", "callback"]
    list_select_related = ["callback"]
    date_hierarchy = "created_at"
