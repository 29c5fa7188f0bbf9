"""Reads of sessions and broadcasts, always scoped to one app."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from broadcasts.models import Broadcast, Session
from broadcasts.services.sessions import SessionError
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.models import App


def _choice(field: str, value: str | None, choices) -> str | None:
    if value in (None, ""):
        return None
    value = value.upper()
    if value not in choices.values:
        raise SessionError(f"Must be one of {', '.join(choices.values)}.", field=field)
    return value


def _when(field: str, value: str | None):
    """An ISO 8601 date-time or date; without an offset it is read in TIME_ZONE (a date is its midnight)."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise SessionError(
            "Must be an ISO 8601 date-time or date, e.g. 2026-11-25T08:00:00Z or 2026-11-25.", field=field
        )
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def session_list(*, app: App, filters: dict) -> QuerySet[Session]:
    sessions = Session.objects.filter(app=app).select_related("transport")
    if status := _choice("status", filters.get("status"), Session.Status):
        sessions = sessions.filter(status=status)
    if transport := filters.get("transport"):
        if (transport_id := ascii_id(transport)) is None:
            raise SessionError("Must be a transport id.", field="transport")
        sessions = sessions.filter(transport_id=transport_id)
    if after := _when("created_after", filters.get("created_after")):
        sessions = sessions.filter(created_at__gte=after)
    if before := _when("created_before", filters.get("created_before")):
        sessions = sessions.filter(created_at__lt=before)
    return sessions


def session_get(*, app: App, session_id) -> Session | None:
    return Session.objects.filter(app=app, pk=session_id).select_related("transport").first()


def session_broadcasts(*, session: Session, filters: dict) -> QuerySet[Broadcast]:
    broadcasts = Broadcast.objects.filter(session=session)
    if status := _choice("status", filters.get("status"), Broadcast.Status):
        broadcasts = broadcasts.filter(status=status)
    if error_code := filters.get("error_code"):
        broadcasts = broadcasts.filter(error_code=error_code)
    return broadcasts.order_by("id")


def broadcast_get(*, app: App, broadcast_id) -> Broadcast | None:
    return (
        Broadcast.objects.filter(session__app=app, pk=broadcast_id)
        .select_related("session")
        .prefetch_related("logs")
        .first()
    )
