"""Before a session sends: is Meta letting its phone number and template send at all (health status)?"""

import logging

from django.conf import settings
from django.core.cache import cache

from broadcasts.models import Session
from broadcasts.services.transitions import SESSION_HOLD, session_move
from templates.models import Template
from templates.services import language_code
from transports.models import Transport
from transports.whatsapp.health import BLOCKED, LIMITED, Health, health_of

logger = logging.getLogger("gateway.sessions")


def session_hold_for_health(*, session: Session) -> bool:
    """Pause the session when Meta's health status of its number or template is BLOCKED; True when it did.

    Asked at most every HEALTH_CHECK_SECONDS per number and template (cached), so batches pay a cache
    read. LIMITED is logged and sending goes on; an answer Meta could not give blocks nothing.
    """
    transport = session.transport
    if not settings.HEALTH_CHECK_SECONDS or not transport.config.get("phoneNumberId"):
        return False  # a generic API transport has no Meta health
    nodes = [str(transport.config["phoneNumberId"]), *_template_ids(session)]
    for node_id in nodes:
        health = _cached_health(transport=transport, node_id=node_id)
        if health.can_send == BLOCKED:
            reason = f"Held before sending: {health.describe()}. Resume once Meta lets it send again."
            held = session_move(session_id=session.pk, move=SESSION_HOLD, pause_reason=Session.PauseReason.HEALTH,
                                error=reason[:1000])
            if held:
                logger.warning("session held: Meta's health status is BLOCKED",
                               extra={"session": str(session.pk), "node": node_id})
            return True
        if health.can_send == LIMITED:
            logger.warning("Meta's health status is LIMITED", extra={"session": str(session.pk), "node": node_id,
                                                                        "reasons": health.reasons})
    return False


def session_message_to_send(*, session: Session) -> dict:
    """The session's message with its template's category as Meta has it now (`meta.category`).

    Read per batch, so a template Meta recategorised since the session was created is routed by its new
    category (the WhatsApp builder sends MARKETING templates to the Marketing Messages API when the transport
    asks for it).
    """
    return message_with_template_category(transport_id=session.transport_id, message=session.message or {})


def message_with_template_category(*, transport_id: int, message: dict) -> dict:
    """`message` with `meta.category` set to its synced template's category; without one, as it is."""
    meta = message.get("meta") or {}
    if not meta.get("templateName"):
        return message
    category = Template.objects.filter(
        transport_id=transport_id, name=meta["templateName"], language=language_code(meta.get("language"))
    ).values_list("category", flat=True).first()
    if not category or meta.get("category") == category:
        return message
    return {**message, "meta": {**meta, "category": category}}


def _template_ids(session: Session) -> list[str]:
    meta = (session.message or {}).get("meta") or {}
    if not meta.get("templateName"):
        return []
    meta_id = Template.objects.filter(
        transport_id=session.transport_id, name=meta["templateName"], language=language_code(meta.get("language"))
    ).values_list("meta_id", flat=True).first()
    return [meta_id] if meta_id else []


def _cached_health(*, transport: Transport, node_id: str) -> Health:
    key = f"health:{transport.pk}:{node_id}"
    cached = cache.get(key)
    if cached is None:
        health = health_of(transport=transport, node_id=node_id)
        cached = (health.can_send, health.reasons)
        cache.set(key, cached, settings.HEALTH_CHECK_SECONDS)
    return Health(can_send=cached[0], reasons=list(cached[1]))
