"""The operators' dashboard in the admin: running sessions, sends per minute, failures, stopped transports.

Read-only and built from a handful of aggregate queries (never a query per session), so it can be
left open on a wall screen. It shows every app's sessions, failures and transports, so it needs the
permission DASHBOARD_PERMISSION (superusers have it) on top of the staff login of `admin.site.admin_view`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMinute
from django.template.response import TemplateResponse
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.selectors import broadcast_counts_by_session
from transports.models import Transport
from whatsapp_gateway.health import WORKER_HEARTBEAT_MAX_AGE
from whatsapp_gateway.models import WorkerHeartbeat

DASHBOARD_PERMISSION = "whatsapp_gateway.view_operations_dashboard"
RUNNING_SESSIONS_SHOWN = 50
CHART_MINUTES = 60
FAILURE_WINDOW = timedelta(hours=24)
COST_DAYS = 7
DONE = {Broadcast.Status.SENT, Broadcast.Status.DELIVERED, Broadcast.Status.READ, Broadcast.Status.FAILED,
        Broadcast.Status.CANCELLED}


@dataclass
class RunningSession:
    session: Session
    total: int
    done: int
    sent: int
    failed: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


@dataclass
class MinuteBar:
    minute: datetime
    sent: int
    failed: int
    sent_pct: float = 0.0
    failed_pct: float = 0.0


def running_sessions(*, limit: int = RUNNING_SESSIONS_SHOWN) -> list[RunningSession]:
    sessions = list(
        Session.objects.filter(status__in=[*Session.RUNNING, Session.Status.PAUSED])
        .select_related("app", "transport")
        .order_by("created_at")[:limit]
    )
    counts = broadcast_counts_by_session(session_ids=[s.pk for s in sessions])
    result = []
    for session in sessions:
        by_status = counts.get(session.pk, {})
        result.append(RunningSession(
            session=session,
            total=sum(by_status.values()),
            done=sum(n for status, n in by_status.items() if status in DONE),
            sent=sum(by_status.get(s, 0) for s in ("SENT", "DELIVERED", "READ")),
            failed=by_status.get(Broadcast.Status.FAILED, 0),
        ))
    return result


def sends_per_minute(*, now: datetime, minutes: int = CHART_MINUTES) -> list[MinuteBar]:
    """Attempts per minute over the last `minutes`, split into accepted and failed; oldest first."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    rows = (
        BroadcastLog.objects.filter(kind=BroadcastLog.Kind.ATTEMPT, created_at__gte=start)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(
            sent=Count("id", filter=Q(status=Broadcast.Status.SENT)),
            total=Count("id"),
        )
    )
    by_minute = {row["minute"]: row for row in rows}
    bars = []
    for i in range(minutes):
        minute = start + timedelta(minutes=i)
        row = by_minute.get(minute) or {"sent": 0, "total": 0}
        bars.append(MinuteBar(minute=minute, sent=row["sent"], failed=row["total"] - row["sent"]))
    peak = max((bar.sent + bar.failed for bar in bars), default=0) or 1
    for bar in bars:
        bar.sent_pct = round(100 * bar.sent / peak, 1)
        bar.failed_pct = round(100 * bar.failed / peak, 1)
    return bars


def failures_by_code(*, now: datetime, window: timedelta = FAILURE_WINDOW) -> list[dict]:
    """Failed attempts and failed-status webhooks of the window, by Meta error code, commonest first."""
    return list(
        BroadcastLog.objects.filter(created_at__gte=now - window)
        .exclude(error_code="")
        .values("error_code")
        .annotate(count=Count("id"), title=Max("error_title"), last=Max("created_at"))
        .order_by("-count", "error_code")[:30]
    )


def throttled_transports() -> list[dict]:
    """Transports sending below their rateLimit because Meta throttled them, slowest share first."""
    from broadcasts.services.pacing import pace_effective_rates

    lowered = pace_effective_rates()
    rows = [
        {"transport": transport, "rate": round(lowered[transport.pk], 1), "limit": transport.rate_limit}
        for transport in Transport.objects.filter(pk__in=list(lowered)).select_related("app")
    ]
    return sorted(rows, key=lambda row: row["rate"] / row["limit"])


def paused_by_circuit() -> list[dict]:
    """Transports whose requests kept failing on Meta's side: sending nothing until a probe succeeds."""
    from broadcasts.services.pacing import circuits_tripped

    circuits = circuits_tripped()
    return [
        {"transport": transport, "probing": circuits[transport.pk].probing,
         "until": datetime.fromtimestamp(circuits[transport.pk].open_until, tz=UTC)}
        for transport in Transport.objects.filter(pk__in=list(circuits)).select_related("app").order_by("name")
    ]


def messaging_limits() -> list[dict]:
    """Meta's messaging limit per business portfolio (WABA) and the unique recipients of the last 24 hours."""
    from broadcasts.services.limits import messaging_limits_by_portfolio

    return messaging_limits_by_portfolio()


def costs(*, now: datetime, days: int = COST_DAYS) -> list[dict]:
    """Priced messages and their cost per transport and day (UTC), from Meta's pricing in status webhooks."""
    from broadcasts.services.costs import costs_by_day

    return costs_by_day(since=now.date() - timedelta(days=days - 1))


def stopped_transports() -> list[Transport]:
    return list(Transport.objects.filter(stopped_at__isnull=False).select_related("app").order_by("-stopped_at"))


def workers(*, now: datetime) -> list[dict]:
    rows = WorkerHeartbeat.objects.filter(last_seen__gte=now - timedelta(days=1)).order_by("-last_seen")[:20]
    return [
        {"hostname": row.hostname, "age": int((now - row.last_seen).total_seconds()),
         "alive": (now - row.last_seen).total_seconds() <= WORKER_HEARTBEAT_MAX_AGE}
        for row in rows
    ]


def dashboard_context(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    bars = sends_per_minute(now=now)
    return {
        "now": now,
        "running": running_sessions(),
        "bars": bars,
        "sent_last_hour": sum(bar.sent for bar in bars),
        "failed_last_hour": sum(bar.failed for bar in bars),
        "peak_per_minute": max((bar.sent + bar.failed for bar in bars), default=0),
        "failures": failures_by_code(now=now),
        "stopped": stopped_transports(),
        "throttled": throttled_transports(),
        "circuits": paused_by_circuit(),
        "messaging_limits": messaging_limits(),
        "workers": workers(now=now),
        "costs": costs(now=now),
        "cost_days": COST_DAYS,
    }


def dashboard_view(request):
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": "Dashboard", **dashboard_context()}
    return TemplateResponse(request, "admin/gateway_dashboard.html", context)
