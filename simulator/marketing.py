"""Meta's Marketing Messages API (`POST /{version}/{phone-number-id}/marketing_messages`) and the Cloud API's
rules for marketing templates.

The same template payload as /messages plus `product_policy` (CLOUD_API_FALLBACK, the default, or STRICT) and
`message_activity_sharing`. Per phone number (config `business_accounts[].phone_numbers[]`):
`marketing_messages_onboarded` (false: the Marketing Messages terms are not accepted) and
`cloud_api_marketing` (false: the WABA turned marketing off on the Cloud API, whose marketing sends answer 131063).
"""

from .config import PhoneNumber
from .errors import MetaError, invalid_parameter
from .sends import ParsedSend

MESSAGES, MARKETING_MESSAGES = "messages", "marketing_messages"
FALLBACK, STRICT = "CLOUD_API_FALLBACK", "STRICT"


def marketing_route(payload: dict, send: ParsedSend, number: PhoneNumber, *, endpoint: str) -> dict:
    """What the record notes of where a send went (`endpoint`, `product_policy`, `fallback`); raises MetaError."""
    if endpoint == MESSAGES:
        _cloud_api_check(send, number)
        return {"endpoint": MESSAGES}
    policy = payload.get("product_policy", FALLBACK)
    if policy not in (FALLBACK, STRICT):
        raise invalid_parameter(f"product_policy ({policy}) must be {FALLBACK} or {STRICT}")
    sharing = payload.get("message_activity_sharing")
    if sharing is not None and not isinstance(sharing, bool):
        raise invalid_parameter("message_activity_sharing must be true or false")
    if send.type != "template" or send.category != "MARKETING":
        raise invalid_parameter(
            f"The Marketing Messages API sends MARKETING templates only (this is {send.category or send.type})"
        )
    if number.marketing_messages_onboarded:
        return {"endpoint": MARKETING_MESSAGES, "product_policy": policy, "fallback": False}
    if policy == STRICT:
        raise MetaError(131055, "The Marketing Messages API terms have not been accepted for this business")
    _cloud_api_check(send, number)  # CLOUD_API_FALLBACK: Meta sends it through the Cloud API instead
    return {"endpoint": MARKETING_MESSAGES, "product_policy": policy, "fallback": True}


def _cloud_api_check(send: ParsedSend, number: PhoneNumber) -> None:
    if send.category == "MARKETING" and not number.cloud_api_marketing:
        raise MetaError(131063, "Marketing templates are disabled on the Cloud API for this business; "
                                "send them with the Marketing Messages API")
