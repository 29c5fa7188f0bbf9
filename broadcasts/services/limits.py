"""Meta's messaging limit at session create: would this session take the portfolio past its unique users in 24 hours?

Meta counts the unique users a business portfolio starts conversations with in a moving 24 hours, across all
its numbers. The gateway approximates the portfolio by the WhatsApp Business Account id (`businessAccountId`)
and counts, within the app only, the unique addresses its transports of that account sent to in the last
24 hours, or have queued, sending or unknown now, plus this session's recipients that are not among them.
It only warns: the session is stored as usual, and its recipients past the limit wait while it sends
(`limit_wait.py`; with MESSAGING_LIMIT_WAIT off they are sent, and Meta refuses what goes past its limit).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from transports.models import Transport
from transports.whatsapp.limits import messaging_limit_count

WINDOW = timedelta(hours=24)
LIMIT_WAITS = "The recipients past the limit wait until the 24-hour window allows them."
LIMIT_SENDS = "Meta refuses the recipients past the limit; the session is sent as usual."
_ON_ITS_WAY = (Broadcast.Status.QUEUED, Broadcast.Status.SENDING, Broadcast.Status.UNKNOWN)


def _portfolio_transports(transport: Transport):
    """The app's transports of the same WhatsApp Business Account (this transport alone when it names none)."""
    waba_id = transport.config.get("businessAccountId")
    if not waba_id:
        return Transport.objects.filter(pk=transport.pk)
    return Transport.objects.filter(app_id=transport.app_id, config__businessAccountId=waba_id)


def _unique_addresses(where: Q) -> int:
    return Broadcast.objects.filter(where).order_by().values("address").distinct().count()


def _counted(transports, *, cutoff) -> Q:
    """Broadcasts that take a place in the window: sent in it, or on their way in a session not scheduled later."""
    return Q(session__transport__in=transports) & (
        Q(sent_at__gte=cutoff)
        | (Q(status__in=_ON_ITS_WAY, updated_at__gte=cutoff) & ~Q(session__status=Session.Status.SCHEDULED))
    )


def _tier(transports) -> str:
    """The limit read last among the portfolio's transports ("" when none was read)."""
    return (
        transports.exclude(limits_read_at__isnull=True).order_by("-limits_read_at")
        .values_list("messaging_limit", flat=True).first()
    ) or ""


def session_messaging_limit_warnings(*, session: Session) -> list[dict]:
    """The `messaging_limit` warning when this stored session takes the portfolio past Meta's limit; else [].

    Aggregate queries only (no query per recipient): the limit, the unique addresses already used in the
    window, and the same count with this session's queued recipients added.
    """
    transports = _portfolio_transports(session.transport)
    tier = _tier(transports)
    limit = messaging_limit_count(tier)
    if limit is None:  # unlimited, or never read: nothing to compare with
        return []
    earlier = _counted(transports, cutoff=timezone.now() - WINDOW) & ~Q(session=session)
    mine = Q(session=session, status=Broadcast.Status.QUEUED)  # the suppressed are not sent
    used = _unique_addresses(earlier)
    total = _unique_addresses(earlier | mine)
    if total <= limit:
        return []
    over_by = total - limit
    return [{
        "code": "messaging_limit",
        "detail": (
            f"Meta's messaging limit of this business portfolio ({tier}) is {limit} unique recipients in 24 hours; "
            f"{used} were messaged or are queued, and this session adds {total - used}: {over_by} over. "
            + (LIMIT_WAITS if settings.MESSAGING_LIMIT_WAIT else LIMIT_SENDS)
        ),
        "limit": limit,
        "used": used,
        "over_by": over_by,
    }]


def messaging_limits_by_portfolio() -> list[dict]:
    """For the operators' dashboard: each app's WABA whose limit was read, its limit, rating and 24-hour usage.

    One count per portfolio (there are few); `limit` is None when unlimited.
    """
    cutoff = timezone.now() - WINDOW
    read = Transport.objects.exclude(limits_read_at__isnull=True).select_related("app").order_by("app_id", "pk")
    rows, seen = [], set()
    for transport in read:
        key = (transport.app_id, transport.config.get("businessAccountId") or f"transport {transport.pk}")
        if key in seen:
            continue
        seen.add(key)
        transports = _portfolio_transports(transport)
        tier = _tier(transports)
        rows.append({
            "app": transport.app, "waba": key[1], "tier": tier, "limit": messaging_limit_count(tier),
            "used": _unique_addresses(_counted(transports, cutoff=cutoff)),
            "quality": transport.quality_rating, "read_at": transport.limits_read_at,
        })
    return rows
