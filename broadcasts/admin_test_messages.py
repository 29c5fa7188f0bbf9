"""The transport list's "Send a test message" action: a test send is a one-recipient session, so it lives here."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse

from broadcasts.services.manual_sends import send_test_message, test_result_describe
from transports.addresses import AddressError
from transports.admin import transport_admin_action
from whatsapp_gateway.api_input import JSONFormField


class SendTestMessageForm(forms.Form):
    to = forms.CharField(help_text="Phone number, e.g. +15550100001")
    template = forms.CharField(required=False, help_text="Template name; blank sends a text message.")
    language = forms.CharField(initial="en_US")
    params = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Body parameters, one per line (name=value for named).",
    )
    header = JSONFormField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Template header, e.g. {"type": "image", "link": "https://example.com/a.jpg"}.',
    )
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_header(self):
        header = self.cleaned_data["header"]
        if header is not None and not isinstance(header, dict):
            raise forms.ValidationError("Give a JSON object with a type.")
        return header


@transport_admin_action
@admin.action(description="Send a test message")
def send_test_message_action(model_admin, request, queryset):
    if queryset.count() != 1:
        model_admin.message_user(request, "Select exactly one transport.", messages.WARNING)
        return None
    transport = queryset.get()
    form = SendTestMessageForm(request.POST if "confirm" in request.POST else None)
    context = {
        **model_admin.admin_site.each_context(request), "transport": transport, "form": form, "title": "Send test",
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result, session = send_test_message(
                transport=transport, to=data["to"], template=data["template"] or None,
                language=data["language"] or "en_US", params=[p for p in data["params"].splitlines() if p.strip()],
                text=data["text"] or None, header=data["header"] or None,
            )
        except (AddressError, ValueError) as error:
            form.add_error(None, str(error))
        else:
            context.update(
                result=result, summary=test_result_describe(result),
                session_url=reverse("admin:broadcasts_session_change", args=[session.pk]),
            )
    return TemplateResponse(request, "admin/broadcasts/send_test_message.html", context)
