"""Processing a stored webhook event: statuses, inbound messages, template events and phone number quality
updates, retried while a status waits for a wamid the sender has not stored yet."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadcasts.models import WebhookEvent
from broadcasts.services.privacy import payload_without_erased, statuses_of_erased
from broadcasts.services.webhooks.inbound import inbound_messages_record, transports_by_phone_number_id
from broadcasts.services.webhooks.payload import ParsedPayload, webhook_payload_parse
from broadcasts.services.webhooks.statuses import broadcast_statuses_apply
from templates.categories import template_category_events_apply
from templates.services import template_events_apply
from transports.whatsapp.quality import phone_number_quality_events_apply
from whatsapp_gateway.db import replayable_commits

logger = logging.getLogger("gateway.webhooks")


def webhook_event_process(*, event_id: int) -> float | None:
    """Process one stored event if it is due and no other worker holds it.

    Returns the seconds after which it should be processed again (statuses still wait for their
    wamid, or processing raised), or None when there is nothing more to do for this caller.
    Its commits are replayable: the stored event is the durable input, processed again if they are lost.
    """
    with replayable_commits():
        return _event_process(event_id)


def _event_process(event_id: int) -> float | None:
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
        webhook_payload_parse(event.payload, phone_number_ids=set(transports_by_phone_number_id(transport)))
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
        template_counts = (
            template_events_apply(
                transport=transport, status_events=parsed.template_status, quality_events=parsed.template_quality
            ),
            template_category_events_apply(transport=transport, events=parsed.template_category),
            phone_number_quality_events_apply(transport=transport, events=parsed.phone_quality),
        )
        for counts_of_kind in template_counts:
            for key, count in counts_of_kind.items():
                summary[key] = summary.get(key, 0) + count
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
