"""The session page's tools: export its broadcasts as CSV, and "New session from…" (retarget) its recipients.

A mixin for SessionAdmin: its URLs and views; the buttons are in the page's toolbar (session/change_form.html).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from broadcasts.admin_masking import sees_personal_data
from broadcasts.models import Session
from broadcasts.selectors import session_stats
from broadcasts.services.errors import SessionError
from broadcasts.services.exports import session_export_csv, session_export_filename
from broadcasts.services.retarget import RETARGET_STATUSES, session_retarget
from transports.models import Transport
from whatsapp_gateway.api_input import JSONFormField

RETARGET_PERMISSION = "broadcasts.add_session"


class RetargetForm(forms.Form):
    statuses = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="DELIVERED is delivered and not (yet) read; READ is delivered and read.",
    )
    transport = forms.ModelChoiceField(queryset=Transport.objects.none())
    message = JSONFormField(widget=forms.Textarea(attrs={"rows": 8, "cols": 80}))
    keep_params = forms.BooleanField(
        required=False, initial=True, label="Keep each recipient's params", help_text="E.g. the CSV's columns."
    )

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        counts = session_stats(session=session)
        self.fields["statuses"].choices = [
            (status, f"{status} ({counts.get(status.lower(), 0)})") for status in RETARGET_STATUSES
        ]
        self.fields["transport"].queryset = Transport.objects.filter(app_id=session.app_id)

    def clean_message(self):
        message = self.cleaned_data["message"]
        if not isinstance(message, dict):
            raise forms.ValidationError('Give a JSON object, e.g. {"meta": {"templateName": "…"}}.')
        return message


class SessionToolsAdminMixin:
    """Export and retarget for one session, the last buttons of its page's toolbar."""

    def get_urls(self):
        tools = [
            path("<uuid:object_id>/export.csv", self.admin_site.admin_view(self.export_view),
                 name="broadcasts_session_export"),
            path("<uuid:object_id>/retarget/", self.admin_site.admin_view(self.retarget_view),
                 name="broadcasts_session_retarget"),
        ]
        return tools + super().get_urls()

    def _session(self, request, object_id) -> Session:
        session = get_object_or_404(Session.objects.select_related("transport", "app"), pk=object_id)
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        return session

    def export_view(self, request, object_id):
        session = self._session(request, object_id)
        response = StreamingHttpResponse(
            session_export_csv(session=session, personal_data=sees_personal_data(request)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{session_export_filename(session)}"'
        return response

    def retarget_view(self, request, object_id):
        session = self._session(request, object_id)
        if not request.user.has_perm(RETARGET_PERMISSION):
            raise PermissionDenied
        initial = {"transport": session.transport_id, "message": session.message, "keep_params": True}
        form = RetargetForm(request.POST or None, initial=initial, session=session)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                created = session_retarget(
                    session=session, statuses=data["statuses"], message=data["message"],
                    transport_id=data["transport"].pk, keep_params=data["keep_params"],
                )
            except SessionError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"Session {created.session.pk} created for {created.session.total} recipients."
                )
                return redirect("admin:broadcasts_session_change", created.session.pk)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": session, "form": form,
            "title": f"New session from {session}",
        }
        return TemplateResponse(request, "admin/broadcasts/session_retarget.html", context)
