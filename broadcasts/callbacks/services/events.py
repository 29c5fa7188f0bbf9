"""The outbox: events recorded in the transaction of the state change they tell of, in bulk.

Nothing is recorded for an app without an active callback; finding that out is one query per
batch (a join on the small callbacks table), so sending without callbacks costs nothing more.
Each batch of events is one INSERT of events and one of deliveries, never a query per recipient,
and the delivery task is enqueued once per endpoint when the transaction commits.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from broadcasts.callbacks.models import Callback, CallbackDelivery, CallbackEvent
from broadcasts.models import Broadcast, Session
from broadcasts.services import queueing

# (move name, status it ended in) -> event type: resume and trigger tell nothing new (the broadcasts do).
SESSION_EVENT_TYPES = {
    ("start", "PENDING"): "session.started",
    ("finish", "COMPLETED"): "session.completed",
    ("finish", "FAILED"): "session.failed",
    ("stop", "FAILED"): "session.failed",
    ("pause", "PAUSED"): "session.paused",
    ("hold", "PAUSED"): "session.paused",
    ("hold for category", "PAUSED"): "session.paused",
    ("cancel", "CANCELLED"): "session.cancelled",
}
BROADCAST_EVENT_TYPES = {
    "SENT": "broadcast.sent",
    "DELIVERED": "broadcast.delivered",
    "READ": "broadcast.read",
    "FAILED": "broadcast.failed",
    "UNKNOWN": "broadcast.unknown",
}
STATUS_TIME = {"SENT": "sent_at", "DELIVERED": "delivered_at", "READ": "read_at", "FAILED": "failed_at"}
INBOUND_NAMESPACE = uuid.UUID("4d3b3c1e-6a0b-4f55-8c52-0f0c4a1b2e77")  # an inbound message's event id is stable


def _event_id(kind: str, owner, sequence: int) -> uuid.UUID:
    """A broadcast's or session's n-th event always has the same id: told again after a lost commit, it dedupes."""
    return uuid.uuid5(INBOUND_NAMESPACE, f"{kind}:{owner}:{sequence}")


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _callbacks_of_sessions(session_ids: Iterable) -> dict:
    """{session id: [active callbacks of its app, and its own]}: one query, empty for apps without callbacks."""
    found = defaultdict(list)
    # filter() before annotate(): one join, so one row per (endpoint, session of the batch), however many sessions.
    # An app's endpoint takes every session of the app; a session's own (its callback_url) takes that session only.
    rows = Callback.objects.filter(
        Q(session__isnull=True) | Q(session_id=F("app__sessions__pk")),
        is_active=True, app__sessions__pk__in=list(session_ids),
    ).only("id", "app_id", "events").annotate(session_pk=F("app__sessions__pk"))
    for callback in rows:
        found[callback.session_pk].append(callback)
    return found


def _store(events: list[CallbackEvent], callbacks_of: dict) -> int:
    """Insert the events and a delivery per endpoint that wants each; enqueue those endpoints on commit."""
    deliveries = [
        CallbackDelivery(event=event, callback=callback, created_at=event.created_at)
        for event in events
        for callback in callbacks_of(event)
        if callback.wants(event.type)
    ]
    if not deliveries:
        return 0
    wanted = {delivery.event_id for delivery in deliveries}
    CallbackEvent.objects.bulk_create([event for event in events if event.pk in wanted], batch_size=1000)
    CallbackDelivery.objects.bulk_create(deliveries, batch_size=1000)
    endpoint_ids = sorted({delivery.callback_id for delivery in deliveries})
    transaction.on_commit(lambda: _enqueue(endpoint_ids))
    return len(wanted)


def _enqueue(endpoint_ids: list[int]) -> None:
    for endpoint_id in endpoint_ids:
        queueing.enqueue_callback_delivery(endpoint_id)


def _next_sequences(field: str, ids: Iterable) -> dict:
    """{id: the next sequence} for these broadcasts (field "broadcast") or sessions ("session")."""
    filters = {f"{field}_id__in": list(ids)}
    if field == "session":
        filters["broadcast__isnull"] = True
    rows = CallbackEvent.objects.filter(**filters).values(f"{field}_id").annotate(last=Max("sequence"))
    last = {row[f"{field}_id"]: row["last"] for row in rows}
    return defaultdict(lambda: 1, {key: value + 1 for key, value in last.items()})


def session_events_record(*, session_ids: list, move: str, to: str, now: datetime | None = None) -> int:
    """Record session.* events for sessions that just made `move` to `to`; call in the move's transaction."""
    event_type = SESSION_EVENT_TYPES.get((move, to))
    if event_type is None or not session_ids:
        return 0
    callbacks = _callbacks_of_sessions(session_ids)
    if not callbacks:
        return 0
    now = now or timezone.now()
    sequences = _next_sequences("session", callbacks)
    events = []
    for row in Session.objects.filter(pk__in=list(callbacks)).values(
        "id", "app_id", "status", "error", "pause_reason", "total", "stats"
    ):
        data = {"status": row["status"], "total": row["total"]}
        if row["error"]:
            data["error"] = row["error"]
        if row["pause_reason"] and to == "PAUSED":
            data["pause_reason"] = row["pause_reason"]
        if row["stats"] and move == "finish":
            data["stats"] = row["stats"]
        events.append(CallbackEvent(
            id=_event_id("session", row["id"], sequences[row["id"]]), app_id=row["app_id"], type=event_type,
            created_at=now, session_id=row["id"], sequence=sequences[row["id"]], data=data,
        ))
    return _store(events, lambda event: callbacks[event.session_id])


def broadcast_events_record(*, moved: list[tuple[int, object, list[str]]], now: datetime | None = None) -> int:
    """Record broadcast.* events: `moved` is (broadcast id, session id, statuses it moved to, in order).

    Call in the transaction that wrote the statuses, after the write: the broadcasts' rows are
    locked by then, so two transactions never hand out the same sequence.
    """
    moved = [(pk, sid, [s for s in statuses if s in BROADCAST_EVENT_TYPES]) for pk, sid, statuses in moved]
    moved = [entry for entry in moved if entry[2]]
    if not moved:
        return 0
    callbacks = _callbacks_of_sessions({sid for _, sid, _ in moved})
    if not callbacks:
        return 0
    now = now or timezone.now()
    moved = [entry for entry in moved if entry[1] in callbacks]
    ids = [pk for pk, _, _ in moved]
    rows = {
        row["id"]: row for row in Broadcast.objects.filter(pk__in=ids).values(
            "id", "address", "reference", "wamid", "attempts", "error_code", "error_title", "error_category",
            *STATUS_TIME.values(),
        )
    }
    sequences = _next_sequences("broadcast", ids)
    events = []
    for pk, session_id, statuses in moved:
        row = rows.get(pk)
        if row is None:
            continue
        app_id = callbacks[session_id][0].app_id
        for status in statuses:
            data = {"status": status, "wamid": row["wamid"], "attempts": row["attempts"]}
            if status in STATUS_TIME:
                data["at"] = _iso(row[STATUS_TIME[status]])
            if status in ("FAILED", "UNKNOWN") and row["error_code"] + row["error_title"]:
                data["error"] = {
                    "code": row["error_code"], "title": row["error_title"], "category": row["error_category"],
                }
            events.append(CallbackEvent(
                id=_event_id("broadcast", pk, sequences[pk]), app_id=app_id, type=BROADCAST_EVENT_TYPES[status],
                created_at=now, session_id=session_id,
                broadcast_id=pk, address=row["address"], reference=row["reference"], sequence=sequences[pk],
                data=data,
            ))
            sequences[pk] += 1
    return _store(events, lambda event: callbacks[event.session_id])


def inbound_events_record(*, app_id: int, messages: list) -> int:
    """Record inbound.message events for stored InboundMessage objects, linked to the broadcast they answer.

    Meta's `context.id` names the wamid a reply answers; a match within the app links the event to
    that broadcast and its session. An event's id comes from the message id, so a replay adds nothing.
    """
    if not messages:
        return 0
    callbacks = list(Callback.objects.filter(app_id=app_id, is_active=True, session__isnull=True))
    if not callbacks:
        return 0
    contexts = {m.message_id: _context_id(m.payload) for m in messages}
    # Locked, as status webhooks lock them: a reply and a status of one broadcast never take one sequence.
    answered = {
        row["wamid"]: row for row in Broadcast.objects.select_for_update(of=("self",)).filter(
            session__app_id=app_id, wamid__in=[wamid for wamid in contexts.values() if wamid]
        ).order_by("id").values("id", "session_id", "wamid", "address", "reference")
    }
    ids = {m.message_id: uuid.uuid5(INBOUND_NAMESPACE, f"{app_id}:{m.message_id}") for m in messages}
    known = set(CallbackEvent.objects.filter(pk__in=list(ids.values())).values_list("pk", flat=True))
    sequences = _next_sequences("broadcast", [row["id"] for row in answered.values()])
    now, events = timezone.now(), []
    for message in messages:
        if ids[message.message_id] in known:
            continue
        known.add(ids[message.message_id])
        link = answered.get(contexts[message.message_id])
        events.append(CallbackEvent(
            id=ids[message.message_id], app_id=app_id, type="inbound.message", created_at=now,
            session_id=link and link["session_id"], broadcast_id=link and link["id"],
            address=link["address"] if link else message.wa_id, reference=link["reference"] if link else "",
            sequence=sequences[link["id"]] if link else 0,
            data={
                "message_id": message.message_id, "from": message.wa_id, "profile_name": message.profile_name,
                "type": message.type, "text": message.text, "timestamp": _iso(message.timestamp),
                "context_id": contexts[message.message_id] or None,
            },
        ))
        if link:
            sequences[link["id"]] += 1
    return _store(events, lambda event: callbacks)


def _context_id(message: dict) -> str:
    """The wamid a reply answers (Meta's `context.id`), or ""."""
    context = message.get("context") if isinstance(message, dict) else None
    wamid = context.get("id") if isinstance(context, dict) else None
    return wamid[:200] if isinstance(wamid, str) else ""


def template_status_events_record(sender, *, transport, changes: list[dict], **kwargs) -> int:
    """Receiver of templates' `template_status_changed`: one template.status_changed event per change."""
    callbacks = list(Callback.objects.filter(app_id=transport.app_id, is_active=True, session__isnull=True))
    if not callbacks or not changes:
        return 0
    now = timezone.now()
    events = [
        CallbackEvent(app_id=transport.app_id, type="template.status_changed", created_at=now, data={
            "template": {"id": change["id"], "name": change["name"], "language": change["language"],
                         "transport": transport.pk},
            "status": change["status"], "previous_status": change["previous_status"],
            "reason": change.get("reason", ""),
        })
        for change in changes
    ]
    return _store(events, lambda event: callbacks)
