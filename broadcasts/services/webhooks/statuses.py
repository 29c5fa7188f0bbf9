"""Meta's message statuses applied to broadcasts, by the rank rule (see the package docstring)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from broadcasts.models import Broadcast, BroadcastLog
from broadcasts.services.costs import CHARGED_STATUSES, PRICED_FIELDS, broadcasts_price, cost_daily_add
from broadcasts.services.dispatch import broadcast_id_of_reference
from broadcasts.services.optouts import optouts_from_errors
from broadcasts.services.sweeper import sent_twice_record
from broadcasts.services.transitions import STATUS_TIME_FIELD, broadcast_status_apply, broadcasts_save
from broadcasts.services.webhooks.payload import meta_list, meta_time
from transports.whatsapp.catalogue import failed_status_category

META_STATUSES = {
    "sent": Broadcast.Status.SENT,
    "delivered": Broadcast.Status.DELIVERED,
    "read": Broadcast.Status.READ,
    "failed": Broadcast.Status.FAILED,
}
WAMID_CHUNK = 900  # stays under SQLite's bound-parameter limit
# Every field applying a status reads or may write: the batch is saved with the union of the fields its rows
# changed, so a field left out would be loaded row by row (one query per broadcast) when it is written.
APPLY_FIELDS = (
    "id", "session_id", "wamid", "address", "status", "attempts", "error_code", "error_title", "error_category",
    *STATUS_TIME_FIELD.values(), *PRICED_FIELDS,
)


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
        errors = [e for e in meta_list(item.get("errors")) if isinstance(e, dict)]
        first_error = errors[0] if errors else {}
        return cls(
            wamid=wamid, status=status, event_at=meta_time(item.get("timestamp"), now),
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
            .only(*APPLY_FIELDS)
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
    charged: list[tuple[Broadcast, dict, datetime]] = []  # Meta's pricing of delivered messages
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
            if event.status in CHARGED_STATUSES and "pricing" in event.raw and broadcast.pricing_billable is None:
                charged.append((broadcast, event.raw["pricing"], event.event_at))
            logs.setdefault((broadcast.pk, event.status), BroadcastLog(
                broadcast=broadcast, session_id=broadcast.session_id, kind=BroadcastLog.Kind.STATUS,
                status=event.status, attempt=broadcast.attempts, event_at=event.event_at,
                error_code=event.error_code, error_title=event.error_title, message=event.note(),
            ))
    priced, cost_days = broadcasts_price(app_id=app_id, charged=charged)
    if priced:
        changed.update({broadcast.pk: broadcast for broadcast, _, _ in charged})
        changed_fields |= priced
    broadcasts_save(list(changed.values()), fields=changed_fields, now=now)
    optouts_from_errors(failed=[(app_id, b.address, e.error_code) for e in events for b in broadcasts.get(e.wamid, ())])
    # A replayed event hits the one-status-log-per-broadcast constraint and is skipped by the database.
    BroadcastLog.objects.bulk_create(list(logs.values()), ignore_conflicts=True, batch_size=500)
    cost_daily_add(app_id=app_id, days=cost_days)
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
        .only(*APPLY_FIELDS)
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
