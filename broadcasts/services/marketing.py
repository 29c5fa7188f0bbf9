"""Meta's Marketing Messages API at session create: may this session's marketing template leave through it?

A WhatsApp transport with `marketing_messages: only` sends MARKETING templates with `product_policy: STRICT`,
which Meta refuses (131055) for a business not onboarded on the Marketing Messages API; such a session is
refused before anything is stored. With `prefer`, Meta falls back to the Cloud API, so the session is
accepted and its answer says so. The onboarding state is the one read on the last template sync
(transports/whatsapp/onboarding.py).
"""

from broadcasts.services.errors import SessionError
from templates.models import Template
from transports.models import Transport
from transports.whatsapp.onboarding import FIELD, marketing_onboarded
from transports.whatsapp.preset import MARKETING_ONLY, MARKETING_PREFER

FALLBACK, UNKNOWN = "marketing_messages_fallback", "marketing_messages_onboarding_unknown"


def session_marketing_messages_check(*, transport: Transport, template: Template | None) -> list[dict]:
    """Raise for `only` on a business Meta says is not onboarded; else the warnings to answer ([] when none)."""
    mode = transport.config.get("marketingMessages")
    if mode not in (MARKETING_ONLY, MARKETING_PREFER) or template is None:
        return []
    if template.category != Template.Category.MARKETING:
        return []
    onboarded = marketing_onboarded(transport)
    if onboarded:
        return []
    state = transport.marketing_messages_onboarding
    if onboarded is None:
        return [{
            "code": UNKNOWN,
            "detail": (
                f"Transport {transport.name} sends this MARKETING template through Meta's Marketing Messages API "
                f"(marketing_messages: {mode}), and Meta's {FIELD} was never read for this business: sync its "
                "templates to read it. " + (
                    "Meta refuses the messages (131055) if the business is not onboarded."
                    if mode == MARKETING_ONLY else "Meta sends through the Cloud API if it is not onboarded."
                )
            ),
        }]
    if mode == MARKETING_ONLY:
        raise SessionError(
            f"Transport {transport.name} sends MARKETING templates only through Meta's Marketing Messages API "
            f"(marketing_messages: only), and Meta says this business is not onboarded there "
            f"(marketing_messages_onboarding: {state}): Meta would refuse every message (131055). Accept the "
            "Marketing Messages terms in WhatsApp Manager and sync templates, or set the transport's "
            "marketing_messages to prefer.",
            field="transport", code="marketing_messages_not_onboarded",
        )
    return [{
        "code": FALLBACK,
        "detail": (
            f"Meta says this business is not onboarded on the Marketing Messages API "
            f"(marketing_messages_onboarding: {state}): with marketing_messages prefer, Meta sends this session's "
            "MARKETING template through the Cloud API instead. Stored and queued as usual."
        ),
    }]
