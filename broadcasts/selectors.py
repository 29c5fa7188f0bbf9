"""Reads of sessions and broadcasts, always scoped to one app."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf, TruncMinute
from django.utils import timezone

from broadcasts.models import Broadcast, OptOut, Session
from transports.redaction import numbers_masked
from whatsapp_gateway.models import App


def session_list(*, app: App) -> QuerySet[Session]:
    """The app's sessions; the API narrows them with its query parameters (broadcasts/api/filters.py)."""
    return Session.objects.filter(app=app).select_related("transport", "callback")


def session_get(*, app: App, session_id) -> Session | None:
    return Session.objects.filter(app=app, pk=session_id).select_related("transport", "callback").first()


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


# --- Progress: what the admin's session list and page show -----------------------------------------

# Each progress count is "reached at least this": a read message was also sent and delivered.
PROGRESS_STATUSES = {
    "sent": (Broadcast.Status.SENT, Broadcast.Status.DELIVERED, Broadcast.Status.READ),
    "delivered": (Broadcast.Status.DELIVERED, Broadcast.Status.READ),
    "read": (Broadcast.Status.READ,),
    "failed": (Broadcast.Status.FAILED,),
    # Finished: nothing more will be sent (unknown ones wait for Meta's webhook, not for a worker).
    "done": tuple(s for s in Broadcast.Status.values if s not in (Broadcast.Status.QUEUED, Broadcast.Status.SENDING)),
}
# The progress bar's segments, left to right: each broadcast in exactly one, by its current status.
BAR_SEGMENTS = ["read", "delivered", "sent", "unknown", "failed", "cancelled", "suppressed"]
CHART_MINUTES = 180


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def session_progress(*, stats: dict) -> dict:
    """The progress of a session from its stats (`session_stats`): counts, per cent of recipients, bar widths.

    `counts` and `percents` hold sent, delivered, read, failed (each "reached at least") and done;
    `segments` are the bar's parts as (status, count, per cent), which add up to `done`.
    """
    total = stats["total"]
    counts = {name: sum(stats.get(s.lower(), 0) for s in statuses) for name, statuses in PROGRESS_STATUSES.items()}
    percents = {name: _percent(count, total) for name, count in counts.items()}
    if not total:
        percents["done"] = 100.0
    return {
        "total": total,
        "counts": counts,
        "percents": percents,
        "segments": [
            {"status": name, "count": stats.get(name, 0), "percent": _percent(stats.get(name, 0), total)}
            for name in BAR_SEGMENTS
        ],
        "has_failures": counts["failed"] > 0,
    }


def progress_order(name: str):
    """An expression to order sessions by the per cent of their recipients in progress group `name`.

    Used only when an operator sorts the admin's list by that column: a correlated count per
    session (the (session, status) index), or the frozen stats of a purged session.
    """
    statuses = PROGRESS_STATUSES[name]
    live = Coalesce(
        Subquery(
            Broadcast.objects.filter(session=OuterRef("pk"), status__in=statuses)
            .order_by().values("session").annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )
    frozen = sum(
        (Coalesce(Cast(KeyTextTransform(status.lower(), "stats"), IntegerField()), 0) for status in statuses),
        Value(0),
    )
    count = Case(When(stats__frozen=True, then=frozen), default=live, output_field=IntegerField())
    return ExpressionWrapper(
        Cast(count, FloatField()) * Value(100.0) / NullIf(Cast(F("total"), FloatField()), Value(0.0)),
        output_field=FloatField(),
    )


def session_failure_reasons(*, session: Session, limit: int = 50) -> list[dict]:
    """The session's failed broadcasts by error code, commonest first: [{code, title, count}]."""
    rows = (
        Broadcast.objects.filter(session=session, status=Broadcast.Status.FAILED)
        .values("error_code")
        .annotate(count=Count("id"), title=Max("error_title"))
        .order_by("-count", "error_code")[:limit]
    )
    return [{"code": row["error_code"], "title": row["title"] or "", "count": row["count"]} for row in rows]


def session_activity_per_minute(*, session: Session, now: datetime | None = None) -> list[dict]:
    """Broadcasts sent, delivered and read per minute (by their times), oldest first, at most CHART_MINUTES.

    The minutes run from the first send to the last event (to now while the session runs), so
    quiet minutes show as zero; a longer session shows its last CHART_MINUTES minutes.
    """
    by_minute: dict[datetime, dict] = {}
    for name in ("sent", "delivered", "read"):
        rows = (
            Broadcast.objects.filter(session=session, **{f"{name}_at__isnull": False})
            .annotate(minute=TruncMinute(f"{name}_at"))
            .values("minute").annotate(n=Count("id")).order_by()
        )
        for row in rows:
            by_minute.setdefault(row["minute"], {"sent": 0, "delivered": 0, "read": 0})[name] = row["n"]
    if not by_minute:
        return []
    last = max(by_minute)
    if session.status in (*Session.RUNNING, Session.Status.PAUSED):
        now_minute = timezone.localtime(now or timezone.now()).replace(second=0, microsecond=0)
        last = max(last, now_minute)
    first = max(min(by_minute), last - timedelta(minutes=CHART_MINUTES - 1))
    minutes = int((last - first).total_seconds() // 60) + 1
    empty = {"sent": 0, "delivered": 0, "read": 0}
    return [
        {"minute": minute.isoformat(), **by_minute.get(minute, empty)}
        for minute in (first + timedelta(minutes=i) for i in range(minutes))
    ]


def session_failed_reason(*, session: Session, stats: dict) -> str:
    """Why a session where nothing was sent failed, in a sentence with its commonest error codes."""
    reasons = session_failure_reasons(session=session, limit=5)
    if stats["failed"] == stats["total"]:
        head = f"Every message failed ({stats['failed']})"
    else:
        head = f"No message was sent: {stats['failed']} failed, {stats['cancelled']} cancelled"
    parts = [
        " ".join(filter(None, [reason["code"] and f"code {reason['code']}", numbers_masked(reason["title"])]))
        + f" ({reason['count']})"
        for reason in reasons
    ]
    shown = sum(reason["count"] for reason in reasons)
    if shown < stats["failed"]:
        parts.append(f"{stats['failed'] - shown} more")
    return (f"{head}: {'; '.join(parts)}." if parts else f"{head}.")[:1000]
def session_broadcast_chunks(*, session: Session, fields: list[str], size: int = 2000) -> Iterator[list[tuple]]:
    """The session's broadcasts as (id, *fields) tuples, in id order, `size` at a time (keyset pages).

    Memory holds one chunk, whatever the session's size, and no cursor stays open between chunks.
    """
    last = 0
    while True:
        chunk = list(
            Broadcast.objects.filter(session=session, id__gt=last).order_by("id").values_list("id", *fields)[:size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]
