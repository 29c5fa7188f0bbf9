"""A number's standing at Meta over time: `phone_number_quality_update` webhooks applied at once, and every change
of the messaging limit or quality rating kept as a `PhoneNumberQualityChange`.

Meta's webhook names the number by `display_phone_number` (the entry's id is the WABA) and carries an `event`
(UPGRADE, DOWNGRADE, FLAGGED, UNFLAGGED, ONBOARDING, THROUGHPUT_UPGRADE) and the limit: since October 2025
`max_daily_conversations_per_business`, the business portfolio's; before, `current_limit` (and `old_limit`).
The quality rating itself is not in it: the template sync reads it from the phone number node, and records a
change it finds there too.
"""

import logging
import re
from datetime import UTC, datetime

from django.utils import timezone

from transports.models import PhoneNumberQualityChange, Transport
from transports.whatsapp.limits import transport_limits_refresh
from transports.whatsapp.onboarding import transport_marketing_onboarding_refresh

logger = logging.getLogger("gateway.transports")
_LIMIT = re.compile(r"^TIER_(\d+K?|UNLIMITED)$")
RECENT = 10  # changes shown with a transport


def digits(number) -> str:
    return re.sub(r"\D", "", str(number or ""))


def transport_number_refresh(*, transport: Transport) -> None:
    """On template sync: read the number's limit and rating, and the business's Marketing Messages onboarding.

    A read that differs from what an earlier read or webhook stored is recorded as a change.
    """
    before = (transport.messaging_limit, transport.quality_rating) if transport.limits_read_at else None
    if transport_limits_refresh(transport=transport) and before and before != (
        transport.messaging_limit, transport.quality_rating
    ):
        PhoneNumberQualityChange.objects.create(
            transport=transport, source=PhoneNumberQualityChange.Source.SYNC,
            old_messaging_limit=before[0], new_messaging_limit=transport.messaging_limit,
            old_quality_rating=before[1], new_quality_rating=transport.quality_rating,
            changed_at=transport.limits_read_at,
        )
    transport_marketing_onboarding_refresh(transport=transport)


def phone_number_quality_events_apply(*, transport: Transport, events: list[dict]) -> dict[str, int]:
    """Apply `phone_number_quality_update` values delivered to `transport` to the app's transport of that number.

    Each value may carry `waba_id` (its entry's id). The number is matched within the transport's app by the
    display number read on sync; a transport whose display number was never read takes the events of its own
    WABA when it is the app's only transport there. Returns the counts that are not 0, for the event's summary.
    """
    counts = {"quality_updates_applied": 0, "quality_updates_unmatched": 0}
    candidates = list(Transport.objects.filter(app_id=transport.app_id))
    for value in events:
        targets = _targets(transport, candidates, value)
        if not targets:
            counts["quality_updates_unmatched"] += 1
            logger.warning("phone number quality update for no transport of the app",
                           extra={"transport": transport.pk, "event": str(value.get("event", ""))[:32]})
            continue
        for target in targets:  # one number may have several transports (e.g. a test and a live one)
            _apply(target, value)
        counts["quality_updates_applied"] += 1
    return {key: count for key, count in counts.items() if count}


def _targets(transport: Transport, candidates: list[Transport], value: dict) -> list[Transport]:
    number = digits(value.get("display_phone_number"))
    matched = [c for c in candidates if number and c.display_phone_number and digits(c.display_phone_number) == number]
    if matched:
        return matched
    waba_id = str(value.get("waba_id") or "")
    own_waba = str(transport.config.get("businessAccountId") or "")
    same_waba = [c for c in candidates if str(c.config.get("businessAccountId") or "") == own_waba]
    if not transport.display_phone_number and (not waba_id or waba_id == own_waba) and len(same_waba) == 1:
        return [transport]
    return []


def _limit(value: dict) -> str:
    for key in ("max_daily_conversations_per_business", "current_limit"):
        tier = str(value.get(key) or "").upper()
        if _LIMIT.match(tier):
            return tier[:32]
    return ""  # absent, or TIER_NOT_SET: nothing to apply


def _apply(transport: Transport, value: dict) -> None:
    now = timezone.now()
    changed_at = _when(value.get("time"), now)
    old_limit, new_limit = transport.messaging_limit, _limit(value) or transport.messaging_limit
    PhoneNumberQualityChange.objects.create(
        transport=transport, source=PhoneNumberQualityChange.Source.WEBHOOK, event=str(value.get("event", ""))[:32],
        old_messaging_limit=old_limit, new_messaging_limit=new_limit,
        old_quality_rating=transport.quality_rating, new_quality_rating=transport.quality_rating,
        changed_at=changed_at,
    )
    if new_limit != old_limit:
        # limits_read_at moves too: the portfolio's limit is the one stored last among its transports.
        transport.messaging_limit, transport.limits_read_at = new_limit, now
        Transport.objects.filter(pk=transport.pk).update(messaging_limit=new_limit, limits_read_at=now)
    logger.info("phone number quality update applied",
                extra={"transport": transport.pk, "event": str(value.get("event", ""))[:32], "limit": new_limit})


def _when(value, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default
