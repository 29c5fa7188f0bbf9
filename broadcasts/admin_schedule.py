"""The session page's schedule: when it starts, its send window, what it waits for; reschedule or cancel it.

A mixin of SessionAdmin, kept apart so the session pages can change around it: it adds one read-only
field (`schedule`) and one page (`<id>/reschedule/`), both calling the schedule services.
"""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from broadcasts.models import Session
from broadcasts.services.errors import SessionError
from broadcasts.services.schedule import UNSET, session_reschedule, session_waiting
from broadcasts.services.send_windows import send_window_check
from broadcasts.services.sessions import session_cancel


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class RescheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Date and time in the time zone below. Empty with “Reschedule”: keep the current one.",
    )
    time_zone = forms.ChoiceField(choices=_zone_choices, help_text="The time zone of send_at.")
    window_start = forms.CharField(required=False, max_length=5, help_text="Send window: opens at HH:MM.")
    window_end = forms.CharField(required=False, max_length=5, help_text="Closes at HH:MM (before start: overnight).")
    window_time_zone = forms.ChoiceField(choices=[("", "— no send window —"), *_zone_choices()], required=False)

    def changes(self) -> dict:
        """The schedule services' arguments from the form; SessionError names what is wrong."""
        data, changes = self.cleaned_data, {}
        if data["send_at"]:
            wall = timezone.make_naive(data["send_at"])  # the form read it in the server's zone: take the wall time
            changes["send_at"] = wall.replace(tzinfo=zoneinfo.ZoneInfo(data["time_zone"]))
        if data["window_time_zone"]:
            changes["send_window"] = send_window_check(
                {"start": data["window_start"], "end": data["window_end"], "time_zone": data["window_time_zone"]}
            )
        else:
            changes["send_window"] = None
        return changes


class ScheduleAdminMixin:
    """SessionAdmin's schedule field and reschedule page."""

    @admin.display(description="Schedule")
    def schedule(self, session: Session) -> str:
        window = session.send_window
        waiting = session_waiting(session)
        parts = [
            format_html("Starts {}", timezone.localtime(session.send_at).strftime("%Y-%m-%d %H:%M %Z"))
            if session.send_at else "Starts at once",
            format_html("sends {}–{} ({})", window["start"], window["end"], window["time_zone"]) if window
            else "no send window",
        ]
        if waiting:
            parts.append(format_html(
                "<strong>waiting ({}) until {}</strong>", waiting["reason"].replace("_", " "),
                timezone.localtime(waiting["until"]).strftime("%Y-%m-%d %H:%M %Z"),
            ))
        if session.status == Session.Status.SCHEDULED:
            url = reverse("admin:broadcasts_session_reschedule", args=[session.pk])
            parts.append(format_html('<a class="button" href="{}">Reschedule or cancel</a>', url))
        return format_html(" · ".join(["{}"] * len(parts)), *parts)

    def get_urls(self):
        own = [
            path("<uuid:session_id>/reschedule/", self.admin_site.admin_view(self.reschedule_view),
                 name="broadcasts_session_reschedule"),
        ]
        return own + super().get_urls()

    def reschedule_view(self, request, session_id):
        session = get_object_or_404(Session.objects.select_related("transport"), pk=session_id)
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        change_url = reverse("admin:broadcasts_session_change", args=[session.pk])
        window = session.send_window or {}
        initial = {
            "send_at": timezone.localtime(session.send_at).replace(tzinfo=None) if session.send_at else None,
            "time_zone": settings.TIME_ZONE, "window_start": window.get("start", ""),
            "window_end": window.get("end", ""), "window_time_zone": window.get("time_zone", ""),
        }
        form = RescheduleForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                done = self._reschedule_apply(request.POST.get("do"), session, form)
            except SessionError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Session {session.pk}: {done}.")
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "session": session, "form": form,
            "title": f"Reschedule session {session.pk}", "change_url": change_url,
        }
        return TemplateResponse(request, "admin/broadcasts/session/reschedule.html", context)

    def _reschedule_apply(self, do: str | None, session: Session, form: RescheduleForm) -> str:
        if do == "cancel":
            count = session_cancel(session=session)
            return f"cancelled ({count} broadcasts)"
        changes = form.changes()
        if do == "now":
            changes["send_at"] = None
        session = session_reschedule(session=session, send_at=changes.get("send_at", UNSET),
                                     send_window=changes["send_window"])
        return "started" if session.status != Session.Status.SCHEDULED else "rescheduled"
