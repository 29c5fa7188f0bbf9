"""Meta webhooks: verify and store them fast, then apply statuses, inbound messages and template events.

Receiving is cheap on purpose (Meta retries slow or failed deliveries): check the signature,
store the raw body as a `WebhookEvent`, enqueue processing after commit, answer 200.

Processing is idempotent and order-independent, because Meta's signature carries no event id
or timestamp (a replay is always possible) and statuses arrive out of order:

- a broadcast's status only moves up the rank SENDING/QUEUED < SENT < FAILED < DELIVERED < READ,
  so its final status depends on the set of events seen, never on their order. FAILED wins over
  SENT (Meta accepted the message, then could not deliver it); a DELIVERED or READ receipt wins
  over FAILED, because it proves the message arrived. CANCELLED broadcasts never carry a wamid;
  they are left as they are.
- `sent_at`, `delivered_at` and `read_at` are filled from Meta's timestamp when still empty, even
  when the event is too late to change the status; `failed_at` and the error fields are set only
  when FAILED becomes the status.
- one STATUS log per (broadcast, status), enforced by the database (`log_one_status_event_each`).

A status may arrive before the sender has stored the wamid Meta returned, so statuses for
unknown wamids are kept on the event and retried with backoff until
`WEBHOOK_UNMATCHED_WINDOW` seconds after receipt; then the event is marked UNMATCHED (visible
in the admin). Lookups are scoped to the transport's app: a signature proves knowledge of one
tenant's app secret, so it may only touch that tenant's broadcasts and templates. The app, not
the transport, is the scope because Meta sends every number of one Meta app to one callback URL.
"""

import hashlib
import hmac
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, InboundMessage, WebhookEvent
from broadcasts.services.privacy import payload_without_erased, statuses_of_erased
from broadcasts.services.sending import broadcast_id_of_reference
from broadcasts.services.sweeper import sent_twice_record
from broadcasts.services.transitions import STATUS_TIME_FIELD, broadcast_status_apply, broadcasts_save
from templates.services import template_events_apply
from transports.models import Transport
from transports.redaction import mask_phone
from transports.secrets import transport_secrets
from transports.whatsapp.catalogue import failed_status_category
from whatsapp_gateway import metrics
from whatsapp_gateway.api_input import JSONInputError, json_loads
from whatsapp_gateway.errors import GatewayError

logger = logging.getLogger("gateway.webhooks")

INBOUND_WINDOW = timedelta(hours=24)
SIGNATURE_PREFIX = "sha256="

META_STATUSES = {
    "sent": Broadcast.Status.SENT,
    "delivered": Broadcast.Status.DELIVERED,
    "read": Broadcast.Status.READ,
    "failed": Broadcast.Status.FAILED,
}
# The status a broadcast ends in is the highest-ranked one seen (see the module docstring).
WAMID_CHUNK = 900  # stays under SQLite's bound-parameter limit


def max_body_bytes() -> int:
    return int(settings.WEBHOOK_MAX_BODY_BYTES)


# --- Receiving ----------------------------------------------------------------------------------


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
            transaction.on_commit(partial(_enqueue_processing, event.pk))
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


def _enqueue_processing(event_id: int) -> None:
    from broadcasts.tasks import process_webhook_events

    try:
        process_webhook_events.delay(event_id)
    except Exception:  # noqa: BLE001 — the event is stored; the periodic pass processes it when the broker is back
        logger.warning("could not enqueue webhook event %s; the periodic pass will pick it up", event_id)


# --- Processing ---------------------------------------------------------------------------------


@dataclass
class ParsedPayload:
    """A payload's changes sorted by kind; each status item keeps Meta's raw dict (retries re-read it)."""

    statuses: list[dict] = field(default_factory=list)
    inbound: list[tuple[str, dict, dict]] = field(default_factory=list)  # (phone_number_id, message, names)
    template_status: list[dict] = field(default_factory=list)
    template_quality: list[dict] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    # `messages` changes skipped because they name a phone number id outside `phone_number_ids`: id -> count.
    foreign_numbers: dict[str, int] = field(default_factory=dict)


def webhook_payload_parse(payload: dict, *, phone_number_ids: set[str] | None = None) -> ParsedPayload:
    """Walk every entry and change (never just the first); anything unexpected is counted, not raised.

    With `phone_number_ids`, a `messages` change whose metadata names another phone number id is skipped,
    its statuses and messages unread, and counted in `foreign_numbers` (Meta always names one; a change
    naming none belongs to the transport it was delivered to).
    """
    parsed = ParsedPayload()
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            name, value = str(change.get("field", "")), change["value"]
            if name == "messages":
                number = str((value.get("metadata") or {}).get("phone_number_id", ""))
                if phone_number_ids is not None and number and number not in phone_number_ids:
                    parsed.foreign_numbers[number] = parsed.foreign_numbers.get(number, 0) + 1
                    continue
                _messages_value_parse(value, parsed)
            elif name == "message_template_status_update":
                parsed.template_status.append(value)
            elif name == "message_template_quality_update":
                parsed.template_quality.append(value)
            else:
                parsed.ignored[name] = parsed.ignored.get(name, 0) + 1
    return parsed


def _messages_value_parse(value: dict, parsed: ParsedPayload) -> None:
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
    parsed.statuses.extend(item for item in _list(value.get("statuses")) if isinstance(item, dict))
    names = {
        str(contact.get("wa_id", "")): str((contact.get("profile") or {}).get("name", ""))
        for contact in _list(value.get("contacts"))
        if isinstance(contact, dict)
    }
    parsed.inbound.extend((phone_number_id, m, names) for m in _list(value.get("messages")) if isinstance(m, dict))


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _meta_time(value, default: datetime) -> datetime:
    """Meta's timestamps are Unix seconds as strings."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def webhook_event_process(*, event_id: int) -> float | None:
    """Process one stored event if it is due and no other worker holds it.

    Returns the seconds after which it should be processed again (statuses still wait for their
    wamid, or processing raised), or None when there is nothing more to do for this caller.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS)
    # The conditional UPDATE is the claim: the task and the periodic pass never process it at once.
    claimed = (
        WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=lease_until)
    )
    if not claimed:
        return None
    event = WebhookEvent.objects.select_related("transport").get(pk=event_id)
    try:
        with transaction.atomic():
            leftover, summary = _event_apply(event, now=now)
    except Exception as exc:  # noqa: BLE001 — one bad event must not kill the worker; kept with its error, retried
        logger.exception("webhook event %s failed to process", event_id)
        return _event_finish(event, now=now, leftover=event.unmatched, summary=event.summary, error=repr(exc))
    return _event_finish(event, now=now, leftover=leftover, summary=summary, error="")


def _event_apply(event: WebhookEvent, *, now: datetime) -> tuple[list[dict], dict]:
    transport = event.transport
    first_pass = event.processed_at is None
    # Later passes only retry the statuses whose wamid was unknown; the rest is already applied.
    # Only the app's own numbers count: a change naming another phone number id is never filed under this transport.
    parsed = (
        webhook_payload_parse(event.payload, phone_number_ids=set(_transports_by_phone_number_id(transport)))
        if first_pass else ParsedPayload(statuses=list(event.unmatched))
    )
    if parsed.foreign_numbers:
        logger.warning(
            "webhook event %s: ignored changes for phone number ids of no transport of the app", event.pk,
            extra={"transport": transport.pk, "event": event.pk, "phone_number_ids": sorted(parsed.foreign_numbers)},
        )
    leftover, counts = broadcast_statuses_apply(app_id=transport.app_id, items=parsed.statuses, now=now)
    leftover, erased = statuses_of_erased(app_id=transport.app_id, items=leftover)
    counts.update(statuses_unmatched=len(leftover), statuses_erased=len(erased))
    if erased:
        # A recipient erased since: nothing to record, and the event keeps neither number nor wamid.
        WebhookEvent.objects.filter(pk=event.pk).update(payload=payload_without_erased(event.payload, erased))
    summary = {} if first_pass else dict(event.summary)
    # Counts add up over passes; what is still unmatched is only what this pass left.
    for key in ("statuses_matched", "statuses_ignored", "statuses_erased", "broadcasts_changed"):
        summary[key] = summary.get(key, 0) + counts[key]
    summary["statuses_unmatched"] = counts["statuses_unmatched"]
    if first_pass:
        summary["inbound_messages"] = inbound_messages_record(transport=transport, items=parsed.inbound, now=now)
        summary.update(template_events_apply(
            transport=transport, status_events=parsed.template_status, quality_events=parsed.template_quality
        ))
        if parsed.ignored:
            summary["ignored_fields"] = parsed.ignored
        if parsed.foreign_numbers:
            summary["ignored_phone_number_ids"] = parsed.foreign_numbers
    return leftover, summary


def _event_finish(event: WebhookEvent, *, now: datetime, leftover: list, summary: dict, error: str) -> float | None:
    attempts = event.attempts + 1
    give_up_at = event.received_at + timedelta(seconds=settings.WEBHOOK_UNMATCHED_WINDOW)
    retry_at = None
    if not leftover and not error:
        state = WebhookEvent.State.PROCESSED
    elif now >= give_up_at:
        state = WebhookEvent.State.FAILED if error else WebhookEvent.State.UNMATCHED
    else:
        state = WebhookEvent.State.PENDING
        base, ceiling = settings.WEBHOOK_RETRY_BASE, settings.WEBHOOK_RETRY_MAX
        delay = min(ceiling, base * 2 ** (attempts - 1))
        # The last try lands on the window's end, so an event is never given up on too early.
        retry_at = min(now + timedelta(seconds=delay), give_up_at)
    applied = not error or event.processed_at is not None
    WebhookEvent.objects.filter(pk=event.pk).update(
        state=state, attempts=attempts, next_attempt_at=retry_at, unmatched=leftover, summary=summary,
        error=error[:2000], processed_at=(event.processed_at or now) if applied else None,
    )
    if state == WebhookEvent.State.UNMATCHED:
        logger.warning("webhook event %s: gave up on %s statuses for unknown wamids", event.pk, len(leftover))
    logger.info(
        "webhook event processed",
        extra={"transport": event.transport_id, "event": event.pk, "state": state, "attempt": attempts,
               "retry_in": round((retry_at - now).total_seconds(), 1) if retry_at else None,
               "error": error[:200] or None,
               **{key: value for key, value in summary.items() if isinstance(value, int)}},
    )
    return (retry_at - now).total_seconds() if retry_at else None


def webhook_events_process_pending(*, limit: int = 500) -> int:
    """Process every due PENDING event (stragglers whose task was lost, retries); returns how many ran."""
    due = (
        WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    processed = 0
    for event_id in list(due):
        webhook_event_process(event_id=event_id)
        processed += 1
    return processed


def webhook_event_retry_now(*, event_id: int) -> str:
    """Admin action: process an event once more now (past its window that is a single try); returns its state."""
    WebhookEvent.objects.filter(pk=event_id).exclude(state=WebhookEvent.State.PROCESSED).update(
        state=WebhookEvent.State.PENDING, next_attempt_at=None
    )
    webhook_event_process(event_id=event_id)
    return WebhookEvent.objects.values_list("state", flat=True).get(pk=event_id)


# --- Statuses -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusEvent:
    wamid: str
    status: str
    event_at: datetime
    error_code: str
    error_title: str
    error_details: str
    raw: dict

    @classmethod
    def from_meta(cls, item: dict, *, now: datetime) -> "StatusEvent | None":
        status = META_STATUSES.get(str(item.get("status", "")).lower())
        wamid = item.get("id")
        if status is None or not isinstance(wamid, str) or not wamid:
            return None  # e.g. "played" (voice notes): not a state a broadcast has
        errors = [e for e in _list(item.get("errors")) if isinstance(e, dict)]
        first_error = errors[0] if errors else {}
        return cls(
            wamid=wamid, status=status, event_at=_meta_time(item.get("timestamp"), now),
            error_code=str(first_error.get("code", ""))[:32], error_title=str(first_error.get("title", ""))[:255],
            error_details=str((first_error.get("error_data") or {}).get("details", "")) if first_error else "",
            raw=item,
        )

    def note(self) -> str:
        pricing = self.raw.get("pricing") if isinstance(self.raw.get("pricing"), dict) else {}
        parts = [
            f"Meta: {self.status.lower()}",
            self.error_code and f"code {self.error_code} {self.error_title}".strip(),
            self.error_details,
            pricing.get("category") and f"pricing {pricing.get('category')}",
        ]
        return " - ".join(str(part) for part in parts if part)[:1000]


def broadcast_statuses_apply(*, app_id: int, items: list[dict], now: datetime) -> tuple[list[dict], dict]:
    """Apply Meta status items to the app's broadcasts in bulk; returns (items for unknown wamids, counts).

    Queries do not grow with the number of items beyond chunking: one locked read per 900 wamids,
    bulk updates of the broadcasts that changed and one bulk insert of logs.
    """
    with transaction.atomic():
        return _broadcast_statuses_apply(app_id=app_id, items=items, now=now)


def _broadcast_statuses_apply(*, app_id: int, items: list[dict], now: datetime) -> tuple[list[dict], dict]:
    events = [event for item in items if (event := StatusEvent.from_meta(item, now=now)) is not None]
    wamids = sorted({event.wamid for event in events})
    broadcasts: dict[str, list[Broadcast]] = defaultdict(list)
    for start in range(0, len(wamids), WAMID_CHUNK):
        chunk = wamids[start:start + WAMID_CHUNK]
        # Locked so two workers applying DELIVERED and READ at once cannot write back a lower status.
        rows = (
            Broadcast.objects.select_for_update(of=("self",))
            .filter(wamid__in=chunk, session__app_id=app_id)
            .only("id", "session_id", "wamid", "status", "attempts", *STATUS_TIME_FIELD.values())
        )
        for row in rows:
            broadcasts[row.wamid].append(row)

    changed: dict[int, Broadcast] = {}
    changed_fields: set[str] = set()
    answered, also_sent = _broadcasts_by_reference(app_id=app_id, events=events, known=broadcasts)
    for broadcast in answered:
        broadcasts[broadcast.wamid].append(broadcast)
        changed[broadcast.pk] = broadcast
        changed_fields.add("wamid")
    for broadcast, wamid in also_sent:
        broadcasts[wamid].append(broadcast)
    sent_twice_record(also_sent)
    leftover: list[dict] = []
    logs: dict[tuple[int, str], BroadcastLog] = {}
    for event in events:
        if event.wamid not in broadcasts:
            leftover.append(event.raw)
            continue
        for broadcast in broadcasts[event.wamid]:
            fields = broadcast_status_apply(
                broadcast, status=event.status, event_at=event.event_at, error_code=event.error_code,
                error_title=event.error_title, error_category=failed_status_category(event.error_code),
            )
            if fields:
                changed[broadcast.pk] = broadcast
                changed_fields |= fields
            logs.setdefault((broadcast.pk, event.status), BroadcastLog(
                broadcast=broadcast, session_id=broadcast.session_id, kind=BroadcastLog.Kind.STATUS,
                status=event.status, attempt=broadcast.attempts, event_at=event.event_at,
                error_code=event.error_code, error_title=event.error_title, message=event.note(),
            ))
    broadcasts_save(list(changed.values()), fields=changed_fields, now=now)
    # A replayed event hits the one-status-log-per-broadcast constraint and is skipped by the database.
    BroadcastLog.objects.bulk_create(list(logs.values()), ignore_conflicts=True, batch_size=500)
    counts = {
        "statuses_matched": len(events) - len(leftover),
        "statuses_unmatched": len(leftover),
        "statuses_ignored": len(items) - len(events),
        "broadcasts_changed": len(changed),
    }
    return leftover, counts


def _broadcasts_by_reference(*, app_id: int, events: list, known: dict) -> tuple[list[Broadcast], list]:
    """Broadcasts named by the reference Meta echoed in statuses of a wamid the gateway never stored.

    Returns (answered, also_sent). A broadcast without a wamid (its send was never answered) gets the
    status's wamid, so this status and every later one apply as to any other send. One that has
    another wamid was sent twice (an attempt whose answer was lost reached Meta): it comes back with
    that extra wamid, so its statuses apply too and the second send shows in its history.
    """
    wanted = {}
    for event in events:
        broadcast_id = broadcast_id_of_reference(event.raw.get("biz_opaque_callback_data"))
        if event.wamid not in known and broadcast_id is not None:
            wanted.setdefault(broadcast_id, event.wamid)
    if not wanted:
        return [], []
    loaded = {row.pk: row for rows in known.values() for row in rows}
    fetched = (
        Broadcast.objects.select_for_update(of=("self",))
        .filter(pk__in=[pk for pk in wanted if pk not in loaded], session__app_id=app_id)
        .only("id", "session_id", "wamid", "status", "attempts", *STATUS_TIME_FIELD.values())
    )
    # A row this batch already holds by its own wamid is used as is: two copies could write back a lower status.
    rows = [*(loaded[pk] for pk in wanted if pk in loaded), *fetched]
    answered, also_sent = [], []
    for row in rows:
        if row.wamid:
            also_sent.append((row, wanted[row.pk]))
        else:
            row.wamid = wanted[row.pk]
            answered.append(row)
    return answered, also_sent


# --- Inbound messages -----------------------------------------------------------------------------


def inbound_messages_record(*, transport: Transport, items: list[tuple[str, dict, dict]], now: datetime) -> int:
    """Store inbound messages once each (by Meta's message id); returns how many were stored or already known.

    A message to a phone number id that no transport of the app has is skipped.
    """
    if not items:
        return 0
    by_number = _transports_by_phone_number_id(transport)
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
            timestamp=_meta_time(message.get("timestamp"), now), payload=message,
        ))
        logger.info("inbound %s message from %s", rows[-1].type, mask_phone(sender))
    InboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _transports_by_phone_number_id(transport: Transport) -> dict[str, Transport]:
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
