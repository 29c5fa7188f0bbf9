"""A phone number's standing at Meta: the onboarding state of its business on the Marketing Messages API, and
changes of its messaging limit or quality rating announced with the `phone_number_quality_update` webhook."""

import itertools

from .config import MESSAGING_LIMITS, QUALITY_RATINGS, BusinessAccount, PhoneNumber

ONBOARDED, ELIGIBLE = "ONBOARDED", "ELIGIBLE"
# Meta's events: the messaging limit went up or down, the number's quality was flagged or recovered, the number is
# still being registered, or its throughput went up (80 → 1,000 messages per second).
QUALITY_EVENTS = ("UPGRADE", "DOWNGRADE", "FLAGGED", "UNFLAGGED", "ONBOARDING", "THROUGHPUT_UPGRADE")
_keys = itertools.count(1)


def marketing_messages_onboarding_status(account: BusinessAccount) -> str:
    """`marketing_messages_onboarding_status` of the WABA node: ONBOARDED when every number of it is onboarded.

    Meta keeps the state per business; the simulator keeps a flag per number (`marketing_messages_onboarded`),
    so a one-number account answers that number's state.
    """
    numbers = account.phone_numbers
    return ONBOARDED if numbers and all(n.marketing_messages_onboarded for n in numbers) else ELIGIBLE


def waba_node(account: BusinessAccount) -> dict:
    """What `GET /{waba-id}` answers."""
    return {
        "id": account.id, "name": "WhatsApp Gateway Simulator",
        "marketing_messages_onboarding_status": marketing_messages_onboarding_status(account),
    }


def quality_change_problem(data: dict) -> str:
    """Why a POST /_sim/phone_numbers/quality body is refused ("" when it is fine)."""
    if data.get("event") not in QUALITY_EVENTS:
        return f"event is one of {', '.join(QUALITY_EVENTS)}"
    if data.get("messaging_limit") is not None and data["messaging_limit"] not in MESSAGING_LIMITS:
        return f"messaging_limit is one of {', '.join(MESSAGING_LIMITS)}"
    if data.get("quality_rating") is not None and data["quality_rating"] not in QUALITY_RATINGS:
        return f"quality_rating is one of {', '.join(QUALITY_RATINGS)}"
    return ""


def quality_change_apply(account: BusinessAccount, number: PhoneNumber, data: dict) -> tuple[str, str, str, dict]:
    """Change the number now (a read right after sees it) and return the webhook to deliver (waba, field, key, value).

    The limit belongs to the business portfolio, so every number of the account gets the new one.
    """
    old_limit = number.messaging_limit
    if data.get("messaging_limit"):
        for each in account.phone_numbers:
            each.messaging_limit = data["messaging_limit"]
    if data.get("quality_rating"):
        number.quality_rating = data["quality_rating"]
    value = {
        "display_phone_number": number.display_phone_number, "event": data["event"],
        "current_limit": number.messaging_limit, "max_daily_conversations_per_business": number.messaging_limit,
    }
    if number.messaging_limit != old_limit:
        value["old_limit"] = old_limit  # Meta sends it for messaging limit changes only
    return account.id, "phone_number_quality_update", f"quality:{next(_keys)}", value
