"""Inbound messages: stored once each, under the number they reached."""

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from broadcasts.callbacks.services.events import inbound_events_record
from broadcasts.models import InboundMessage
from broadcasts.services.optouts import optouts_from_inbound
from broadcasts.services.webhooks.payload import meta_time
from transports.addresses import is_user_id
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
    for phone_number_id, message, contacts in items:
        message_id, sender = message.get("id"), str(message.get("from") or "")
        # A user with a username may come without a number: their business-scoped user id stands in.
        user_id = str(message.get("from_user_id") or "")
        contact = contacts.get(sender) or contacts.get(user_id) or {}
        user_id = user_id or str(contact.get("user_id") or "")
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        # Meta sends every number of one Meta app to one callback: file it under the number it reached, and
        # never a number of no transport of the app under this one (no number at all: the receiving transport).
        reached = by_number.get(phone_number_id) if phone_number_id else transport
        if not isinstance(message_id, str) or not message_id or reached is None:
            continue
        rows.append(InboundMessage(
            transport=reached, app_id=transport.app_id,
            wa_id=(sender or user_id)[:64], user_id=user_id[:64], username=str(profile.get("username") or "")[:64],
            profile_name=str(profile.get("name") or "")[:255], message_id=message_id[:200],
            type=str(message.get("type", ""))[:32], text=_inbound_text(message),
            timestamp=meta_time(message.get("timestamp"), now), payload=message,
        ))
        logger.info("inbound %s message from %s", rows[-1].type, mask_phone(rows[-1].wa_id))
    InboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    inbound_events_record(app_id=transport.app_id, messages=rows)  # in the webhook's transaction
    # Under the number and the user id alike: a session may name the person by either.
    optouts_from_inbound(app_id=transport.app_id, messages=[
        (address, row.payload) for row in rows for address in sorted({row.wa_id, row.user_id} - {""})
    ])
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
    """True when the user wrote to this transport's number in the last 24 hours (free-form text allowed).

    `address` is a phone number (any format) or a business-scoped user id.
    """
    address = str(address).strip()
    who = Q(user_id=address) | Q(wa_id=address) if is_user_id(address) else Q(
        wa_id="".join(ch for ch in address if ch.isdigit())
    )
    return InboundMessage.objects.filter(
        who, transport=transport, timestamp__gte=timezone.now() - INBOUND_WINDOW
    ).exists()


def inbound_windows_open(*, transport: Transport) -> set[str]:
    """The addresses (numbers and user ids) that wrote to this transport's number in the last 24 hours."""
    recent = InboundMessage.objects.filter(transport=transport, timestamp__gte=timezone.now() - INBOUND_WINDOW)
    return {address for pair in recent.values_list("wa_id", "user_id").distinct() for address in pair if address}
