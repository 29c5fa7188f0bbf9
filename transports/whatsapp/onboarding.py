"""The business's state on Meta's Marketing Messages API, read from the WhatsApp Business Account node.

Meta keeps onboarding per business and answers it as `marketing_messages_onboarding_status` of
`GET /{waba-id}`: ONBOARDED once the Marketing Messages terms are accepted, otherwise ELIGIBLE,
PENDING_… or INELIGIBLE_…. A transport whose `marketingMessages` is `only` sends marketing templates
with `product_policy: STRICT`, which Meta refuses (131055) until the business is ONBOARDED.
"""

import logging

from django.utils import timezone

from transports.graph import graph_request
from transports.models import Transport

logger = logging.getLogger("gateway.transports")
FIELD = "marketing_messages_onboarding_status"
ONBOARDED = "ONBOARDED"


def transport_marketing_onboarding_refresh(*, transport: Transport) -> bool:
    """Read the business's Marketing Messages onboarding state from Meta and store it; False when Meta did not say.

    A failed read (e.g. a Graph version without the field) keeps what was stored, and when.
    """
    waba_id = transport.config.get("businessAccountId")
    if not waba_id:
        return False
    answer = graph_request(transport, "GET", str(waba_id), params={"fields": FIELD})
    state = answer.body.get(FIELD) if answer.ok else None
    if not isinstance(state, str) or not state:
        logger.warning("marketing messages onboarding not read",
                       extra={"transport": transport.pk, "error": answer.describe()})
        return False
    transport.marketing_messages_onboarding = state.upper()[:48]
    transport.marketing_onboarding_read_at = timezone.now()
    Transport.objects.filter(pk=transport.pk).update(
        marketing_messages_onboarding=transport.marketing_messages_onboarding,
        marketing_onboarding_read_at=transport.marketing_onboarding_read_at,
    )
    return True


def marketing_onboarded(transport: Transport) -> bool | None:
    """True when Meta said the business is onboarded, False when it said otherwise, None when never read."""
    if not transport.marketing_messages_onboarding:
        return None
    return transport.marketing_messages_onboarding == ONBOARDED
