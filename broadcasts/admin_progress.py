"""Progress in the session admin: the list's bar and counts, the page's live panel, its JSON and its toolbar.

Reading a session needs the admin's `broadcasts.view_session` (as the session page does); trigger,
pause, resume and cancel need `broadcasts.change_session`. The admin is operator-wide: staff see
every app's sessions, as on the list. Failure titles are gathered from many recipients, so phone
numbers in them are masked for staff without the personal-data permission (admin_masking.py).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join

from broadcasts.admin_masking import sees_personal_data
from broadcasts.models import Broadcast, Session
from broadcasts.selectors import (
    session_activity_per_minute,
    session_failure_reasons,
    session_progress,
    session_stats,
    sessions_stats,
)
from broadcasts.services.errors import SessionError
from broadcasts.services.limit_wait import MESSAGING_LIMIT
from broadcasts.services.schedule import session_waiting
from broadcasts.services.sessions import session_cancel, session_pause, session_resume, session_trigger
from broadcasts.services.transitions import SESSION_CANCEL, SESSION_PAUSE, SESSION_RESUME, SESSION_TRIGGER
from transports.redaction import numbers_masked
from whatsapp_gateway.api_input import is_uuid
from whatsapp_gateway.errors import error_body

# The toolbar's operations: (the move that says from which statuses, the service, what the operator is told).
OPERATIONS = {
    "trigger": (SESSION_TRIGGER, session_trigger, "{n} broadcasts re-queued."),
    "pause": (SESSION_PAUSE, session_pause, "paused."),
    "resume": (SESSION_RESUME, session_resume, "resumed."),
    "cancel": (SESSION_CANCEL, session_cancel, "{n} broadcasts cancelled."),
}
# The toolbar's buttons, in order: (operation, label, what the operator confirms first).
OPERATION_BUTTONS = [
    ("trigger", "Trigger: re-queue what failed retryably or never finished", ""),
    ("pause", "Pause", ""),
    ("resume", "Resume", ""),
    ("cancel", "Cancel: stop what has not been sent", "Cancel this session? What has not been sent will not be."),
]
PROGRESS_COLUMNS = ["done", "sent", "delivered", "read", "failed"]
POLL_SECONDS_RUNNING = 3
POLL_SECONDS_FINISHED = 30  # delivered and read webhooks still arrive after a session completes
SCHEDULED_SOON_SECONDS = 120  # a scheduled session this close to its send_at is watched as a running one


class SessionChangeList(ChangeList):
    """The session list, with each row's progress worked out for the whole page in one query."""

    def get_results(self, request):
        super().get_results(request)
        sessions = list(self.result_list)
        stats = sessions_stats(sessions=sessions)
        for session in sessions:
            session.progress_shown = session_progress(stats=stats[session.pk])


def progress_of(session: Session) -> dict:
    """The row's progress when the list worked it out, else the session's own (one query)."""
    progress = getattr(session, "progress_shown", None)
    if progress is None:
        progress = session.progress_shown = session_progress(stats=session_stats(session=session))
    return progress


def _pct(value: float) -> str:
    return number_format(value, decimal_pos=0 if value == int(value) else 1)


def progress_bar(progress: dict) -> str:
    """A bar of the session's broadcasts by status; what is left to send is the empty part."""
    title = ", ".join(f"{s['status']}: {s['count']}" for s in progress["segments"] if s["count"])
    return format_html(
        '<div class="gw-bar" title="{}">{}</div> {}%',
        title or "nothing finished yet",
        format_html_join(
            "", '<span class="gw-{}" style="width:{}%"></span>',
            ((s["status"], s["percent"]) for s in progress["segments"] if s["count"]),
        ),
        _pct(progress["percents"]["done"]),
    )


def count_cell(progress: dict, name: str) -> str:
    count, percent = progress["counts"][name], progress["percents"][name]
    css = "gw-count gw-count-failed" if name == "failed" and count else "gw-count"
    return format_html('<span class="{}">{} <small>({}%)</small></span>', css, count, _pct(percent))


def status_label(session: Session, progress: dict) -> str:
    """The status in words: a COMPLETED session with failures says so, one waiting for the messaging limit too."""
    if session.status == Session.Status.COMPLETED and progress["has_failures"]:
        return f"COMPLETED, {_pct(progress['percents']['failed'])}% failed"
    waiting = session_waiting(session)
    if waiting and waiting["reason"] == MESSAGING_LIMIT:
        until = timezone.localtime(waiting["until"]).strftime("%Y-%m-%d %H:%M %Z")
        return f"{session.status}, waiting for Meta's messaging limit until {until}"
    return session.status


def status_class(session: Session, progress: dict) -> str:
    """The CSS class that sets a failed session, or a completed one with failures, apart from a clean one."""
    if session.status == Session.Status.FAILED:
        return "gw-status gw-status-failed"
    if session.status == Session.Status.COMPLETED:
        return "gw-status gw-status-warning" if progress["has_failures"] else "gw-status gw-status-clean"
    return "gw-status"


def status_cell(session: Session, progress: dict) -> str:
    return format_html('<span class="{}">{}</span>', status_class(session, progress), status_label(session, progress))


def failures_url(session: Session, code: str) -> str:
    query = {"session__id__exact": session.pk, "status__exact": Broadcast.Status.FAILED, "error_code__exact": code}
    return reverse("admin:broadcasts_broadcast_changelist") + "?" + urlencode(query)


def _poll_seconds(session: Session) -> int:
    """Often while it runs, and in the last minutes before a scheduled session starts; rarely otherwise."""
    if session.status in (*Session.RUNNING, Session.Status.PAUSED):
        return POLL_SECONDS_RUNNING
    starts_soon = session.send_at and session.send_at - timezone.now() <= timedelta(seconds=SCHEDULED_SOON_SECONDS)
    if session.status == Session.Status.SCHEDULED and starts_soon:
        return POLL_SECONDS_RUNNING
    return POLL_SECONDS_FINISHED


def _live_note(session: Session) -> str:
    if session.status in (*Session.RUNNING, Session.Status.PAUSED):
        return "updates every few seconds"
    if session.status == Session.Status.SCHEDULED:
        return "waits for its time; this page updates itself and shows it start"
    return "finished; late delivered and read statuses still show up"


def session_progress_payload(*, session: Session, request) -> dict:
    """What the session page shows and its JSON endpoint answers: status, counts, chart, failure reasons."""
    progress = session_progress(stats=session_stats(session=session))
    unmasked = sees_personal_data(request)
    return {
        "id": str(session.pk),
        "status": session.status,
        "status_label": status_label(session, progress),
        "status_class": status_class(session, progress),
        "running": session.status in (*Session.RUNNING, Session.Status.PAUSED),
        "error": session.error,
        "progress": progress,
        "failures": [
            {**reason, "title": reason["title"] if unmasked else numbers_masked(reason["title"]),
             "url": failures_url(session, reason["code"])}
            for reason in session_failure_reasons(session=session)
        ],
        "per_minute": session_activity_per_minute(session=session),
        "operations": [name for name, (move, _, _) in OPERATIONS.items() if session.status in move.sources],
        "poll_seconds": _poll_seconds(session),
        "live_note": _live_note(session),
        "as_of": timezone.now().isoformat(),
    }


def session_page_context(*, session: Session, request) -> dict:
    """The session page's extra context: the panel's data, its cells and the toolbar's buttons."""
    payload = session_progress_payload(session=session, request=request)
    progress = payload["progress"]
    return {
        "progress": payload,
        "progress_url": reverse("admin:broadcasts_session_progress", args=[session.pk]),
        "progress_cells": [(name, progress["counts"][name], progress["percents"][name]) for name in PROGRESS_COLUMNS],
        "operation_buttons": OPERATION_BUTTONS,
    }


def session_progress_view(model_admin, request, object_id):
    """GET …/session/<id>/progress.json: the live panel's data (staff with the view permission)."""
    session = Session.objects.filter(pk=object_id).first() if is_uuid(object_id) else None
    if not model_admin.has_view_permission(request, session):
        return JsonResponse(error_body("permission_denied", "You may not view sessions."), status=403)
    if session is None:
        return JsonResponse(error_body("not_found", "No session has this id."), status=404)
    response = JsonResponse(session_progress_payload(session=session, request=request))
    response["Cache-Control"] = "no-store"
    return response


def session_operate_view(model_admin, request, object_id, operation):
    """POST …/session/<id>/<operation>/: one toolbar button; back to the session page with what happened."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if operation not in OPERATIONS:
        raise PermissionDenied
    session = get_object_or_404(Session.objects.select_related("transport"), pk=object_id)
    if not model_admin.has_change_permission(request, session):
        raise PermissionDenied
    _, service, done = OPERATIONS[operation]
    try:
        result = service(session=session)
    except SessionError as error:
        messages.error(request, f"Session {session.pk}: {error.message}")
    else:
        messages.success(request, f"Session {session.pk}: {done.format(n=result)}")
    return HttpResponseRedirect(reverse("admin:broadcasts_session_change", args=[session.pk]))


