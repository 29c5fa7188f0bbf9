"""Delivery: POST each endpoint's pending events in order, signed, at least once, with backoff.

One worker at a time delivers to an endpoint (a lease taken by a conditional UPDATE), oldest
event first, so per broadcast the events leave in sequence. A failed POST holds the endpoint,
and every event behind it, until a backoff with full jitter has passed; an endpoint failing for
CALLBACK_GIVE_UP_AFTER (3 days) is disabled, its events kept for a redeliver. No transaction is
held across a request: claim, commit, POST, record.
"""

import hashlib
import hmac
import json
import logging
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from broadcasts.callbacks.models import PING, Callback, CallbackAttempt, CallbackDelivery, CallbackEvent
from broadcasts.callbacks.services.endpoints import Signing, callback_signing
from broadcasts.services import queueing
from transports.network import UnsafeURLError, URLGuard, guarded_session
from transports.redaction import phones_masked, redact_text
from whatsapp_gateway.db import replayable_commits

logger = logging.getLogger("gateway.callbacks")

SIGNATURE_HEADER = "X-Gateway-Signature"
EXCERPT_CHARS = 500
READ_AT_MOST = 4096  # bytes of an answer read: a receiver that streams forever holds nobody
TASK_BUDGET_SECONDS = 30.0  # one task delivers this long, then hands over to a fresh one
SHORT_WAIT_SECONDS = 60.0  # a retry due sooner is enqueued with its countdown; later ones are the beat's
RETRY_MAX_SECONDS = 3600.0  # the backoff's ceiling: a receiver back up is tried again within the hour
PURGE_BATCH = 1000
P = CallbackDelivery.State.PENDING


@dataclass(frozen=True)
class PostResult:
    ok: bool
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str


EVENT_FIELDS = ("id", "type", "created_at", "app_id", "session_id", "broadcast_id", "address", "reference",
                "sequence", "data")


def event_payload(event: dict) -> dict:
    """An event (its EVENT_FIELDS, read as values) as the receiver reads it (docs/callbacks.md)."""
    return {
        "id": str(event["id"]), "type": event["type"], "created_at": event["created_at"].isoformat(),
        "app": event["app_id"], "session": str(event["session_id"]) if event["session_id"] else None,
        "broadcast": event["broadcast_id"], "address": event["address"] or None,
        "reference": event["reference"] or None, "sequence": event["sequence"], "data": event["data"],
    }


def callback_body(payloads: list[dict]) -> bytes:
    """The raw body of one POST: `{"events": [...]}`, compact JSON (signed exactly as sent)."""
    return json.dumps({"events": payloads}, separators=(",", ":"), ensure_ascii=False).encode()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<raw body>" with `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, signing: Signing, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex>`, with a second v1 from the previous secret during a rotation."""
    parts = [f"t={timestamp}", f"v1={signature(secret=signing.current, timestamp=timestamp, body=body)}"]
    if signing.previous:
        parts.append(f"v1={signature(secret=signing.previous, timestamp=timestamp, body=body)}")
    return ",".join(parts)


def _url_shown(url: str) -> str:
    """The URL without its query and fragment, which may carry the receiver's own token."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _post(
    callback: Callback, body: bytes, *, signing: Signing, addresses: tuple[str, ...] = (), http=None
) -> PostResult:
    """POST one signed body; `http` (a guarded session) keeps the connection open from one batch to the next."""
    secrets = {"current": signing.current, "previous": signing.previous}
    headers = {
        "Content-Type": "application/json", "User-Agent": f"WhatsAppGateway/{settings.VERSION}",
        SIGNATURE_HEADER: signature_header(signing=signing, timestamp=int(time.time()), body=body),
    }
    started = time.monotonic()
    try:
        URLGuard().check(callback.url)  # DNS may point elsewhere since the URL was stored
        with nullcontext(http) if http is not None else guarded_session() as session:
            answer = session.post(
                callback.url, data=body, headers=headers, allow_redirects=False, stream=True,
                timeout=(settings.CALLBACK_TIMEOUT, settings.CALLBACK_TIMEOUT),
            )
            raw = answer.raw.read(READ_AT_MOST, decode_content=True) or b""
            answer.close()
    except (UnsafeURLError, requests.RequestException, OSError) as error:
        text = redact_text(str(error).replace(callback.url, _url_shown(callback.url)), secrets)
        return PostResult(False, None, _ms(started), "", f"{type(error).__name__}: {text}"[:EXCERPT_CHARS])
    # A receiver may echo what it got: no secret and no full number of the batch in the stored excerpt.
    excerpt = phones_masked(redact_text(raw.decode("utf-8", "replace"), secrets), addresses)[:EXCERPT_CHARS]
    ok = 200 <= answer.status_code < 300
    return PostResult(ok, answer.status_code, _ms(started), excerpt, "" if ok else f"HTTP {answer.status_code}")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _attempt_record(callback: Callback, result: PostResult, event_ids: list[str]) -> CallbackAttempt:
    logger.info(
        "callback delivered" if result.ok else "callback delivery failed",
        extra={"callback": callback.pk, "url": _url_shown(callback.url), "events": len(event_ids),
               "status_code": result.status_code, "duration_ms": result.duration_ms, "error": result.error},
    )
    return CallbackAttempt.objects.create(
        callback=callback, events=len(event_ids), event_ids=event_ids, status_code=result.status_code,
        ok=result.ok, duration_ms=result.duration_ms, response_excerpt=result.excerpt, error=result.error,
    )


def _lease_take(callback_id: int, now: datetime) -> bool:
    lease = now + timedelta(seconds=2 * settings.CALLBACK_TIMEOUT + 10)
    return bool(
        Callback.objects.filter(pk=callback_id, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(lease_until=lease)
    )


def retry_delay(failures: int) -> float:
    """Full jitter: anywhere up to CALLBACK_RETRY_BASE * 2^(failures-1), capped at RETRY_MAX_SECONDS."""
    ceiling = min(RETRY_MAX_SECONDS, settings.CALLBACK_RETRY_BASE * 2 ** min(failures - 1, 30))
    return random.uniform(0, ceiling)


def callback_deliver(*, callback_id: int, budget: float = TASK_BUDGET_SECONDS) -> float | None:
    """Deliver the endpoint's pending events until none is left, a POST fails or `budget` seconds passed.

    Returns in how many seconds a fresh task should go on (0: at once, the budget was spent; the
    backoff after a failure, when it is short), or None. A worker that finds the endpoint leased to
    another, or waiting out a backoff, returns None at once: the beat wakes it when it is due.
    """
    deadline = time.monotonic() + budget
    # Replayable: an event whose delivery was not recorded is delivered again, with its id (at least once).
    with replayable_commits():
        return _deliver_until(callback_id, deadline)


def _deliver_until(callback_id: int, deadline: float) -> float | None:
    while True:
        if not _lease_take(callback_id, timezone.now()):
            return None
        outcome = _deliver_leased(callback_id, deadline)
        Callback.objects.filter(pk=callback_id).update(lease_until=None)
        if outcome == "more":
            return 0.0
        if outcome == "failed":
            retry_at = Callback.objects.filter(pk=callback_id, is_active=True).values_list("next_attempt_at", flat=True)
            wait = (retry_at[0] - timezone.now()).total_seconds() if retry_at and retry_at[0] else None
            return max(0.0, wait) if wait is not None and wait <= SHORT_WAIT_SECONDS else None
        # Events committed while this worker held the lease found it taken: look once more.
        if not CallbackDelivery.objects.filter(callback_id=callback_id, state=P).exists():
            return None


def _deliver_leased(callback_id: int, deadline: float) -> str:
    """"drained", "more" (budget spent) or "failed"."""
    with guarded_session() as http:
        return _batches_post(callback_id, deadline, http)


def _batches_post(callback_id: int, deadline: float, http) -> str:
    fields = [f"event__{name}" for name in EVENT_FIELDS]
    while True:
        callback = Callback.objects.get(pk=callback_id)
        rows = list(
            CallbackDelivery.objects.filter(callback=callback, state=P).order_by("id")
            .values_list("pk", *fields)[: max(1, callback.batch_size)]
        )
        if not rows:
            return "drained"
        deliveries = [pk for pk, *_ in rows]
        payloads = [event_payload(dict(zip(EVENT_FIELDS, values, strict=True))) for _, *values in rows]
        result = _post(
            callback, callback_body(payloads), signing=callback_signing(callback=callback),
            addresses=tuple({p["address"] for p in payloads if p["address"]}), http=http,
        )
        if not _result_record(callback, deliveries, result, [p["id"] for p in payloads]):
            return "failed"
        if time.monotonic() > deadline:
            return "more"


def _result_record(callback: Callback, deliveries: list[int], result: PostResult, event_ids: list[str]) -> bool:
    """Log the attempt and mark its deliveries (ids), in one transaction (one commit per POST); True when ok."""
    now = timezone.now()
    done = CallbackDelivery.objects.filter(pk__in=deliveries)
    common = {
        "attempts": F("attempts") + 1, "last_status_code": result.status_code,
        "last_duration_ms": result.duration_ms, "last_response_excerpt": result.excerpt,
        "last_error": result.error,
    }
    with transaction.atomic():
        _attempt_record(callback, result, event_ids)
        if not result.ok:
            done.update(next_attempt_at=_failure_record(callback, now=now), **common)
            return False
        done.update(state=CallbackDelivery.State.DELIVERED, delivered_at=now, next_attempt_at=None, **common)
        # The lease is renewed with the success: the next batch is this worker's too.
        Callback.objects.filter(pk=callback.pk).update(
            failures=0, failing_since=None, next_attempt_at=None, last_success_at=now,
            lease_until=now + timedelta(seconds=2 * settings.CALLBACK_TIMEOUT + 10),
        )
    return True


def _failure_record(callback: Callback, *, now: datetime) -> datetime | None:
    """Back off, or give up on an endpoint failing for CALLBACK_GIVE_UP_AFTER; returns the next try, if any."""
    failures = callback.failures + 1
    failing_since = callback.failing_since or now
    if (now - failing_since).total_seconds() >= settings.CALLBACK_GIVE_UP_AFTER:
        hours = settings.CALLBACK_GIVE_UP_AFTER / 3600
        reason = (
            f"Disabled after {failures} failed deliveries in {hours:g} hours; the last: "
            f"{callback.attempts.values_list('error', flat=True).first() or 'no answer'}. "
            "Fix the receiver and turn the endpoint on again: the events it missed are sent then, in order."
        )
        Callback.objects.filter(pk=callback.pk).update(
            is_active=False, disabled_reason=reason[:1000], disabled_at=now, failures=failures,
            failing_since=failing_since, next_attempt_at=None,
        )
        CallbackDelivery.objects.filter(callback=callback, state=P).update(
            state=CallbackDelivery.State.FAILED, next_attempt_at=None
        )
        logger.warning("callback endpoint disabled", extra={"callback": callback.pk, "failures": failures})
        return None
    retry_at = now + timedelta(seconds=retry_delay(failures))
    Callback.objects.filter(pk=callback.pk).update(
        failures=failures, failing_since=failing_since, next_attempt_at=retry_at
    )
    return retry_at


def callbacks_due(*, now: datetime | None = None) -> list[int]:
    """Active endpoints with pending events whose backoff is over and no worker holds: for the beat."""
    now = now or timezone.now()
    return list(
        Callback.objects.filter(is_active=True, deliveries__state=P)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True).distinct()
    )


def callback_ping(*, callback: Callback) -> CallbackAttempt:
    """POST one signed `ping` event now (nothing is stored in the outbox); returns the logged attempt."""
    now = timezone.now()
    payload = {
        "id": f"ping-{int(now.timestamp() * 1000)}", "type": PING, "created_at": now.isoformat(),
        "app": callback.app_id, "session": None, "broadcast": None, "address": None, "reference": None,
        "sequence": 0, "data": {"callback": callback.pk},
    }
    result = _post(callback, callback_body([payload]), signing=callback_signing(callback=callback))
    return _attempt_record(callback, result, [payload["id"]])


def deliveries_redeliver(*, deliveries) -> int:
    """Send these deliveries again (delivered or given up); their endpoints are woken up. Returns how many."""
    rows = list(deliveries.values_list("pk", "callback_id"))
    changed = CallbackDelivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(state=P, next_attempt_at=None)
    for callback_id in sorted({cid for _, cid in rows}):
        queueing.enqueue_callback_delivery(callback_id)
    return changed


def callback_events_purge(*, now: datetime | None = None) -> int:
    """Delete events (they hold numbers) older than RETENTION_LOG_DAYS that no endpoint still has to deliver."""
    if not settings.RETENTION_LOG_DAYS:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_LOG_DAYS)
    # A bounded batch each pass (the beat runs every few seconds), so no pass holds the table for long.
    old = CallbackEvent.objects.filter(created_at__lt=cutoff).exclude(deliveries__state=P)
    _, by_model = CallbackEvent.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:PURGE_BATCH])).delete()
    attempts = CallbackAttempt.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH]
    CallbackAttempt.objects.filter(pk__in=list(attempts)).delete()
    return by_model.get(CallbackEvent._meta.label, 0)
