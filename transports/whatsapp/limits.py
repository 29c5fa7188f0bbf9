"""Meta's messaging limit (per business portfolio) and a number's quality rating, read from the phone number node.

Since 2025-10-07 the limit on unique users a business can start conversations with in a moving 24 hours
is set per business portfolio and shared by all its numbers: 250, 2,000, 10,000, 100,000 or unlimited.
Meta answers it as `whatsapp_business_manager_messaging_limit`, which replaces `messaging_limit_tier`
(still read when the new field is missing, for older Graph versions).
"""

import logging
import re

from django.utils import timezone

from transports.graph import graph_request
from transports.models import Transport

logger = logging.getLogger("gateway.transports")
FIELDS = "whatsapp_business_manager_messaging_limit,messaging_limit_tier,quality_rating,display_phone_number"
UNLIMITED = "TIER_UNLIMITED"
_TIER = re.compile(r"^TIER_(\d+)(K?)$")


def messaging_limit_count(tier: str) -> int | None:
    """Unique users per 24 hours of a tier (`TIER_2K` → 2000); None when unlimited, unknown or not read."""
    match = _TIER.match((tier or "").upper())
    if not match:
        return None
    return int(match.group(1)) * (1000 if match.group(2) else 1)


def transport_limits_refresh(*, transport: Transport) -> bool:
    """Read the number's messaging limit and quality rating from Meta and store them; False when Meta did not say.

    A failed read keeps what was stored (and when): an old limit is better than none, and the admin shows its age.
    """
    phone_number_id = transport.config.get("phoneNumberId")
    if not phone_number_id:
        return False
    answer = graph_request(transport, "GET", str(phone_number_id), params={"fields": FIELDS})
    body = answer.body if answer.ok else {}
    tier = body.get("whatsapp_business_manager_messaging_limit") or body.get("messaging_limit_tier")
    rating = body.get("quality_rating")
    if not isinstance(tier, str) and not isinstance(rating, str):
        logger.warning("messaging limit not read", extra={"transport": transport.pk, "error": answer.describe()})
        return False
    transport.messaging_limit = tier.upper()[:32] if isinstance(tier, str) else ""
    transport.quality_rating = rating.upper()[:16] if isinstance(rating, str) else ""
    transport.limits_read_at = timezone.now()
    if isinstance(body.get("display_phone_number"), str):  # names the number in Meta's quality webhooks
        transport.display_phone_number = body["display_phone_number"][:32]
    Transport.objects.filter(pk=transport.pk).update(
        messaging_limit=transport.messaging_limit, quality_rating=transport.quality_rating,
        limits_read_at=transport.limits_read_at, display_phone_number=transport.display_phone_number,
    )
    return True
