"""Receiving Meta's webhooks: check the signature, store the raw body, enqueue, answer at once."""

import hashlib
import hmac
import logging
from functools import partial

from django.conf import settings
from django.db import transaction

from broadcasts.models import WebhookEvent
from broadcasts.services.queueing import enqueue_webhook_event
from broadcasts.services.webhooks.payload import webhook_payload_parse
from transports.models import Transport
from transports.secrets import transport_secrets
from whatsapp_gateway import metrics
from whatsapp_gateway.api_input import JSONInputError, json_loads
from whatsapp_gateway.errors import GatewayError

logger = logging.getLogger("gateway.webhooks")

SIGNATURE_PREFIX = "sha256="


def max_body_bytes() -> int:
    return int(settings.WEBHOOK_MAX_BODY_BYTES)


class WebhookRejected(GatewayError):
    """A webhook request refused before anything is stored: 403 (who sent it is not proven), 400, 413."""

    code = "webhook_forbidden"
    status = 403


def webhook_transport_get(*, transport_id: int) -> Transport:
    transport = Transport.objects.select_related("app").filter(pk=transport_id).first()
    if transport is None:
        # 403 like a bad token or signature: the answer must not tell which transport ids exist.
        raise WebhookRejected("unknown transport")
    return transport


def webhook_handshake_check(*, transport: Transport, mode: str | None, token: str | None) -> bool:
    """True when Meta's subscription handshake names this transport's verify token."""
    expected = str(transport_secrets(transport).get("verifyToken") or "")
    if mode != "subscribe" or not expected or token is None:
        return False
    return hmac.compare_digest(token.encode(errors="replace"), expected.encode())


def webhook_signature_valid(*, transport: Transport, body: bytes, signature: str | None) -> bool:
    """`X-Hub-Signature-256` is `sha256=` + HMAC-SHA256 of the raw body keyed with the app secret."""
    app_secret = str(transport_secrets(transport).get("appSecret") or "")
    if not app_secret or not signature or not signature.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature[len(SIGNATURE_PREFIX):].strip().encode(errors="replace"), expected.encode())


def webhook_receive(*, transport: Transport, body: bytes, signature: str | None) -> WebhookEvent:
    """Verify, store the raw event once, and enqueue its processing after commit.

    Raises `WebhookRejected` (nothing stored) for a bad signature (403) or a body that is not a
    JSON object (400). An identical body received again (Meta's redelivery) returns the stored event.
    """
    if not webhook_signature_valid(transport=transport, body=body, signature=signature):
        _rejected_log(transport, "signature missing or wrong", body)
        raise WebhookRejected("signature missing or wrong")
    try:
        # Checked as API bodies are: a depth, NUL or lone surrogate no database column can take is a 400.
        payload = json_loads(body)
    except JSONInputError as exc:
        reason = "body is not JSON" if not exc.field and exc.message.startswith("not valid") else f"body refused: {exc}"
        _rejected_log(transport, reason, body)
        raise WebhookRejected(reason, code="webhook_invalid", status=400) from exc
    if not isinstance(payload, dict):
        _rejected_log(transport, "body is not a JSON object", body)
        raise WebhookRejected("body is not a JSON object", code="webhook_invalid", status=400)
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            transport=transport, body_sha256=hashlib.sha256(body).hexdigest(), defaults={"payload": payload}
        )
        if created:
            transaction.on_commit(partial(enqueue_webhook_event, event.pk))
    parsed = webhook_payload_parse(payload)
    if created:
        # Counted once per stored event: Meta's redeliveries of the same body are not counted again.
        metrics.webhook_statuses_observe(statuses=[str(item.get("status", "")) for item in parsed.statuses])
    logger.info(
        "webhook received",
        extra={"transport": transport.pk, "event": event.pk, "duplicate": not created, "bytes": len(body),
               "statuses": len(parsed.statuses), "inbound": len(parsed.inbound),
               "template_events": len(parsed.template_status) + len(parsed.template_quality)},
    )
    return event


def _rejected_log(transport: Transport, reason: str, body: bytes) -> None:
    # Neither the body nor the signature is logged: only what tells an operator which setting is wrong.
    logger.warning("webhook rejected", extra={"transport": transport.pk, "reason": reason, "bytes": len(body)})
