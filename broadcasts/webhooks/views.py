"""Meta's WhatsApp webhook: the subscription handshake (GET) and signed event deliveries (POST).

No API key here: Meta cannot send one. The verify token authenticates the handshake and the
`X-Hub-Signature-256` HMAC authenticates every event; views only verify, store and enqueue.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from broadcasts.services.webhooks.receive import (
    WebhookRejected,
    max_body_bytes,
    webhook_handshake_check,
    webhook_receive,
    webhook_transport_get,
)

logger = logging.getLogger("gateway.webhooks")


# Every 403 reads the same, whether the transport id does not exist or the token or signature is wrong,
# so the answer never tells which transport ids exist; the log says which it was.
FORBIDDEN = "forbidden"


@csrf_exempt  # Meta cannot send a CSRF token; the signature is the authentication
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest, transport_id: int) -> HttpResponse:
    try:
        # The body is read first, so an oversized one is refused (413) whether the transport exists or not.
        body = _body(request) if request.method == "POST" else b""
        transport = webhook_transport_get(transport_id=transport_id)
        if request.method == "GET":
            return _handshake(request, transport)
        webhook_receive(transport=transport, body=body, signature=request.headers.get("X-Hub-Signature-256"))
        return HttpResponse("OK", content_type="text/plain")
    except WebhookRejected as rejected:
        logger.warning("webhook for transport %s refused: %s", transport_id, rejected.message)
        # Plain text, not the API's error body: Meta reads only the status.
        answer = FORBIDDEN if rejected.status == 403 else rejected.message
        return HttpResponse(answer, status=rejected.status, content_type="text/plain")


def _handshake(request: HttpRequest, transport) -> HttpResponse:
    ok = webhook_handshake_check(
        transport=transport, mode=request.GET.get("hub.mode"), token=request.GET.get("hub.verify_token")
    )
    if not ok:
        raise WebhookRejected("verification failed")
    # text/plain (and nosniff from SecurityMiddleware): the echoed challenge is never rendered as HTML.
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


def _body(request: HttpRequest) -> bytes:
    limit = max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Read at most limit + 1 bytes: a body that is too large is refused without being buffered whole.
    body = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(body) > limit:
        raise WebhookRejected("body too large", code="webhook_too_large", status=413)
    return body
