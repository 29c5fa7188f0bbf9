"""Meta's messaging limit while sending: recipients past the portfolio's allowance wait, QUEUED, for the window.

Meta lets a business portfolio start conversations with a limited number of unique users in a moving 24 hours
and documents no error code for going past it, so the gateway holds back what would. Before a batch is claimed,
the portfolio (approximated by the WABA, within the app, as `limits.py` counts it at session create) has used
the unique addresses its transports sent to in the last 24 hours, or have in flight (SENDING, UNKNOWN); the
allowance is the limit minus those. A recipient already among them costs nothing more, so a batch takes any
number of those and at most the allowance of new ones. With none left, nothing is claimed and the session waits
(`waiting_reason="messaging_limit"`) until the oldest counted recipient leaves the window; the due-sessions check
(beat) wakes it then, as it wakes sessions waiting for their send window.

Cheap: at most one aggregate count per batch (none for an unlimited portfolio, an unread limit or
MESSAGING_LIMIT_WAIT off), and far from the limit one every RECOUNT_AFTER: the allowance counted is kept in
`MessagingAllowance` and each claim takes its rows off, as if all were new recipients (the true allowance is only
ever larger: recipients leave the window, some sends fail). The claim's filter is a subquery, never a query per
recipient. Workers of the same portfolio take turns on a PostgreSQL advisory lock from the count until their claim
is committed, so two of them never spend the same allowance.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from broadcasts.models import Broadcast, MessagingAllowance, Session
from broadcasts.services.limits import WINDOW, _portfolio_transports, _tier
from transports.whatsapp.limits import messaging_limit_count

logger = logging.getLogger("gateway.dispatch")
MESSAGING_LIMIT = "messaging_limit"
# Far from the limit, the allowance counted is spent batch by batch for this long before it is counted again.
RECOUNT_AFTER = timedelta(seconds=30)
# Everything counted is still on the wire (no sent_at yet): look again shortly.
IN_FLIGHT_RECHECK = timedelta(seconds=10)
_LOCK_CLASS = 21_004  # the advisory locks' first key: "messaging limit of a portfolio"
_IN_FLIGHT = (Broadcast.Status.SENDING, Broadcast.Status.UNKNOWN)

Claim = Callable[[int, Q | None], list[Broadcast]]  # (at most how many, of which rows) -> the rows claimed


def _counted(transports, *, now: datetime) -> QuerySet:
    """The portfolio's broadcasts that took a place in Meta's window: sent in it, or on the wire now.

    Only sessions touched since the window opened (a claim bumps `updated_at`) are looked into, so the count
    reads one day's rows whatever the history.
    """
    cutoff = now - WINDOW
    recent = now - WINDOW - timedelta(seconds=settings.CLAIM_LEASE_SECONDS)
    return Broadcast.objects.filter(
        Q(sent_at__gte=cutoff) | Q(status__in=_IN_FLIGHT, updated_at__gte=cutoff),
        session__transport__in=transports, session__updated_at__gte=recent,
    )


def _applies(session: Session) -> int | None:
    """The portfolio's limit when the session must keep within it; None when it sends as usual."""
    if not settings.MESSAGING_LIMIT_WAIT:
        return None
    if not ((session.message or {}).get("meta") or {}).get("templateName"):
        return None  # free-form text goes only to users in their service window, which Meta does not count
    return messaging_limit_count(_tier(_portfolio_transports(session.transport)))


def _portfolio_key(session: Session) -> str:
    transport = session.transport
    return f"{transport.app_id}:{transport.config.get('businessAccountId') or f'transport {transport.pk}'}"


@contextmanager
def _portfolio_turn(key: str) -> Iterator[None]:
    """Hold the portfolio's advisory lock (PostgreSQL; elsewhere one worker is the only one anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [_LOCK_CLASS, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [_LOCK_CLASS, key])


def broadcasts_claim_within_limit(
    *, session: Session, limit: int, claim: Claim
) -> tuple[list[Broadcast], datetime | None]:
    """Claim up to `limit` of the session's ready rows (with `claim`), of them at most the allowance of new recipients.

    Returns (the claimed rows, None), or ([], when the window allows the next one) when its ready rows are all
    new recipients and the allowance is used up.
    """
    allowed = _applies(session)
    if allowed is None:
        return claim(limit, None), None
    transports, key = _portfolio_transports(session.transport), _portfolio_key(session)
    with _portfolio_turn(key):
        now = timezone.now()
        allowance = MessagingAllowance.objects.filter(portfolio=key)
        if allowance.filter(limit=allowed, remaining__gte=limit, counted_at__gte=now - RECOUNT_AFTER).exists():
            claimed = claim(limit, None)  # far from the limit, as counted a moment ago: no count needed
            allowance.update(remaining=F("remaining") - len(claimed))
            return claimed, None
        counted = _counted(transports, now=now)
        remaining = allowed - counted.order_by().values("address").distinct().count()
        if remaining >= limit:  # even a batch of new recipients fits
            claimed = claim(limit, None)
            MessagingAllowance.objects.update_or_create(portfolio=key, defaults={
                "app_id": session.transport.app_id, "limit": allowed, "remaining": remaining - len(claimed),
                "counted_at": now,
            })
            return claimed, None
        known = Q(address__in=counted.order_by().values("address"))
        claimed = claim(limit, known)  # messaged in the window already: they cost nothing more
        if not claimed and remaining > 0:
            claimed = claim(remaining, ~known)
        waiting = Broadcast.objects.filter(session=session, status=Broadcast.Status.QUEUED).exclude(
            next_attempt_at__gt=now
        )
        if claimed or not waiting.exists():
            return claimed, None
        until = _next_place(counted, now=now)
    logger.info("session waits for the messaging limit", extra={
        "session": str(session.pk), "limit": allowed, "until": until,
    })
    return [], until


def _next_place(counted: QuerySet, *, now: datetime) -> datetime:
    """When the first counted recipient leaves the window: 24 hours after its latest send."""
    first_out = (
        counted.filter(sent_at__isnull=False).order_by().values("address").annotate(last=Max("sent_at"))
        .order_by("last").values_list("last", flat=True).first()
    )
    return max(first_out + WINDOW, now + timedelta(seconds=1)) if first_out else now + IN_FLIGHT_RECHECK


def session_wait_for_limit(*, session: Session, until: datetime) -> None:
    """Record that the session waits for the messaging limit until `until` (the due-sessions check wakes it)."""
    Session.objects.filter(pk=session.pk).update(waiting_until=until, waiting_reason=MESSAGING_LIMIT)
