"""Inbound messages: stored once each, under the number they reached."""

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from broadcasts.models import InboundMessage
from broadcasts.services.optouts import optouts_from_inbound
from broadcasts.services.webhooks.payload import meta_time
from transports.models import Transport
from transports.redaction import mask_phone

logger = logging.getLogger("gateway.webhooks")

INBOUND_WINDOW = timedelta(hours=24)


def inbound_messages_record(*, transport: Transport, items: list[tuple[str, dict, dict]], now: datetime) -> int:
    """Store inbound messages once each (by Meta's message id); returns how many were stored or already known.

    A message to a phone number id that no transport of the app has is skipped.
    """
    if not items:
        return 0
    by_number = transports_by_phone_number_id(transport)
    rows = []
    for phone_number_id, message, names in items:
        message_id, sender = message.get("id"), str(message.get("from", ""))
        # Meta sends every number of one Meta app to one callback: file it under the number it reached, and
        # never a number of no transport of the app under this one (no number at all: the receiving transport).
        reached = by_number.get(phone_number_id) if phone_number_id else transport
        if not isinstance(message_id, str) or not message_id or reached is None:
            continue
        rows.append(InboundMessage(
            transport=reached, app_id=transport.app_id,
            wa_id=sender[:64], profile_name=names.get(sender, "")[:255], message_id=message_id[:200],
            type=str(message.get("type", ""))[:32], text=_inbound_text(message),
            timestamp=meta_time(message.get("timestamp"), now), payload=message,
        ))
        logger.info("inbound %s message from %s", rows[-1].type, mask_phone(sender))
    InboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    optouts_from_inbound(app_id=transport.app_id, messages=[(row.wa_id, row.payload) for row in rows])
    return len(rows)


def transports_by_phone_number_id(transport: Transport) -> dict[str, Transport]:
    siblings = Transport.objects.filter(app_id=transport.app_id).only("id", "app_id", "config")
    return {str(t.config.get("phoneNumberId")): t for t in siblings if t.config.get("phoneNumberId")}


def _inbound_text(message: dict) -> str:
    """The text of a text message, or a short summary of any other type (for the admin)."""
    kind = str(message.get("type", ""))
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(body.get("body", ""))
    if kind == "button":
        return str(body.get("text") or body.get("payload") or "[button]")
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title") or "[interactive]")
    if kind == "reaction":
        return f"[reaction {body.get('emoji', '')}]".replace(" ]", "]")
    return str(body.get("caption") or f"[{kind or 'unknown'}]")


def inbound_window_open(*, transport: Transport, address: str) -> bool:
    """True when the user wrote to this transport's number in the last 24 hours (free-form text allowed)."""
    wa_id = "".join(ch for ch in str(address) if ch.isdigit())
    return InboundMessage.objects.filter(
        transport=transport, wa_id=wa_id, timestamp__gte=timezone.now() - INBOUND_WINDOW
    ).exists()
