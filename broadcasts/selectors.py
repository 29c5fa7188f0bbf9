"""Reads of sessions and broadcasts, always scoped to one app."""

from django.db.models import QuerySet

from broadcasts.models import Broadcast, Session
from whatsapp_gateway.models import App


def session_list(*, app: App) -> QuerySet[Session]:
    """The app's sessions; the API narrows them with its query parameters (broadcasts/api/filters.py)."""
    return Session.objects.filter(app=app).select_related("transport")


def session_get(*, app: App, session_id) -> Session | None:
    return Session.objects.filter(app=app, pk=session_id).select_related("transport").first()


def session_broadcasts(*, session: Session) -> QuerySet[Broadcast]:
    return Broadcast.objects.filter(session=session).order_by("id")


def broadcast_get(*, app: App, broadcast_id) -> Broadcast | None:
    return (
        Broadcast.objects.filter(session__app=app, pk=broadcast_id)
        .select_related("session")
        .prefetch_related("logs")
        .first()
    )
