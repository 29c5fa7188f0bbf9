"""Reads of sessions and broadcasts, always scoped to one app."""

from django.db.models import Count, QuerySet

from broadcasts.models import Broadcast, OptOut, Session
from whatsapp_gateway.models import App


def session_list(*, app: App) -> QuerySet[Session]:
    """The app's sessions; the API narrows them with its query parameters (broadcasts/api/filters.py)."""
    return Session.objects.filter(app=app).select_related("transport")


def session_get(*, app: App, session_id) -> Session | None:
    return Session.objects.filter(app=app, pk=session_id).select_related("transport").first()


def optout_list(*, app: App, scope: str | None = None) -> QuerySet[OptOut]:
    """The app's opt-outs, newest first; one scope's when given."""
    optouts = OptOut.objects.filter(app=app)
    return optouts.filter(scope=scope) if scope else optouts


def session_broadcasts(*, session: Session) -> QuerySet[Broadcast]:
    return Broadcast.objects.filter(session=session).order_by("id")


def broadcast_get(*, app: App, broadcast_id) -> Broadcast | None:
    return (
        Broadcast.objects.filter(session__app=app, pk=broadcast_id)
        .select_related("session")
        .prefetch_related("logs")
        .first()
    )


# The counts a session reports, one per broadcast status, in the order the API shows them.
STAT_KEYS = ["queued", "sending", "unknown", "sent", "delivered", "read", "failed", "cancelled", "suppressed"]


def broadcast_counts_by_session(*, session_ids) -> dict:
    """{session id: {broadcast status: count}} in one query; a session without broadcasts is absent."""
    counts: dict = {}
    rows = (
        Broadcast.objects.filter(session_id__in=list(session_ids))
        .values_list("session_id", "status")
        .annotate(n=Count("id"))
        .values_list("session_id", "status", "n")
        .order_by()
    )
    for session_id, status, n in rows:
        counts.setdefault(session_id, {})[status] = n
    return counts


def stats_from_counts(counts: dict) -> dict:
    """The API's stats object from {broadcast status: count}: every key present, `total` their sum."""
    stats = {key: counts.get(key.upper(), 0) for key in STAT_KEYS}
    return {"total": sum(stats.values()), **stats}


def session_stats(*, session: Session) -> dict:
    """Live counts by status; they add up to `total`. A snapshot is kept once personal data is purged."""
    return sessions_stats(sessions=[session])[session.pk]


def sessions_stats(*, sessions: list[Session]) -> dict:
    """`session_stats` of many sessions (a page of a list) in one query, by session id."""
    counts = broadcast_counts_by_session(session_ids=[s.pk for s in sessions if not s.stats.get("frozen")])
    result = {}
    for session in sessions:
        if session.stats.get("frozen"):
            result[session.pk] = {key: session.stats.get(key, 0) for key in ["total", *STAT_KEYS]}
        else:
            result[session.pk] = stats_from_counts(counts.get(session.pk, {}))
    return result
