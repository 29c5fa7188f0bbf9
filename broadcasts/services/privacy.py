"""Personal data: purge it past its retention, erase one person on request.

Phone numbers and template parameters are personal data. The purge anonymizes broadcasts and
logs (the rows stay, so every count and status stays true) and deletes inbound messages and
Meta's raw webhook events; a session's stats are frozen first, so its numbers never change.
Everything is done with bulk statements in batches, never a save per row.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from broadcasts.callbacks.models import CallbackEvent
from broadcasts.models import Broadcast, BroadcastLog, Erasure, InboundMessage, Session, WebhookEvent
from broadcasts.selectors import broadcast_counts_by_session, stats_from_counts
from broadcasts.services.transitions import ERASED_NOTE, broadcasts_cancel
from transports.addresses import (
    META_NUMBER_KEYS,
    META_USER_ID_KEYS,
    STRICT_POSSIBLE,
    AddressError,
    is_user_id,
    phone_normalize,
)
from transports.models import Transport
from whatsapp_gateway.errors import GatewayError
from whatsapp_gateway.models import App

logger = logging.getLogger("gateway.privacy")

ERASED = "[ERASED]"
FINISHED = [Session.Status.COMPLETED, Session.Status.FAILED, Session.Status.CANCELLED]
# Keys of a Meta status, contact or message object that carry the person's number or user id (BSUID).
_NUMBER_KEYS = (*META_NUMBER_KEYS, *META_USER_ID_KEYS)
# What is kept of such an object once its number is erased (enough to process a pending status).
_KEPT_KEYS = ("id", "status", "timestamp", "type")
# Meta's message id ("wamid." and base64).
WAMID = re.compile(r"wamid\.[A-Za-z0-9+/=_\-]{1,400}")


class ErasureError(GatewayError):
    """The address cannot be read as anyone's address; the message says why."""

    code = "invalid_address"


# --- Retention ----------------------------------------------------------------------------------


def personal_data_purge(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Anonymize or delete personal data past the RETENTION_* settings; returns counts by kind.

    With `dry_run` nothing changes and the counts say what would. A retention of 0 days keeps
    that kind forever.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    if settings.RETENTION_BROADCAST_DAYS:
        cutoff = now - timedelta(days=settings.RETENTION_BROADCAST_DAYS)
        old_sessions = Session.objects.filter(created_at__lt=cutoff, status__in=FINISHED)
        # Stats first: once the numbers are gone the snapshot is the session's record.
        not_frozen = Q(stats__frozen__isnull=True) | Q(stats__frozen=False)
        counts["sessions_frozen"] = _sessions_freeze(old_sessions.filter(not_frozen), dry_run=dry_run)
        counts["broadcasts_anonymized"] = _in_batches(
            Broadcast.objects.filter(session__in=old_sessions).exclude(address=""),
            dry_run=dry_run,
            # Meta's wamid encodes the recipient's number; its webhooks stopped long before retention ends.
            values={"address": "", "params": {}, "wamid": None},
        )
    if settings.RETENTION_LOG_DAYS:
        cutoff = now - timedelta(days=settings.RETENTION_LOG_DAYS)
        counts["logs_anonymized"] = _in_batches(
            BroadcastLog.objects.filter(created_at__lt=cutoff).filter(Q(request__isnull=False) | ~Q(response_body="")),
            dry_run=dry_run,
            values={"request": None, "response_body": ""},
        )
        counts["webhook_events_deleted"] = _in_batches(
            WebhookEvent.objects.filter(received_at__lt=cutoff).exclude(state=WebhookEvent.State.PENDING),
            dry_run=dry_run,
        )
    if settings.RETENTION_INBOUND_DAYS:
        cutoff = now - timedelta(days=settings.RETENTION_INBOUND_DAYS)
        counts["inbound_messages_deleted"] = _in_batches(
            InboundMessage.objects.filter(received_at__lt=cutoff), dry_run=dry_run
        )
    if not dry_run:
        logger.info("personal data purged", extra=counts)
    return counts


def _in_batches(queryset: QuerySet, *, dry_run: bool, values: dict | None = None) -> int:
    """Update (with `values`) or delete the rows of `queryset`, PURGE_BATCH_SIZE at a time; how many.

    The changed rows must leave `queryset`, so the loop ends.
    """
    if dry_run:
        return queryset.count()
    model, done = queryset.model, 0
    while ids := list(queryset.values_list("pk", flat=True)[: settings.PURGE_BATCH_SIZE]):
        rows = model.objects.filter(pk__in=ids)
        if values is None:
            rows.delete()
            done += len(ids)
        else:
            done += rows.update(**values)
    return done


def _sessions_freeze(queryset: QuerySet, *, dry_run: bool) -> int:
    """Store each session's counts as its frozen stats and drop the message parameters; how many."""
    if dry_run:
        return queryset.count()
    done = 0
    while sessions := list(queryset.only("id", "stats", "message")[: settings.PURGE_BATCH_SIZE]):
        counts = broadcast_counts_by_session(session_ids=[s.pk for s in sessions])
        for session in sessions:
            session.stats = {**stats_from_counts(counts.get(session.pk, {})), "frozen": True}
            session.message = _message_without_personal_data(session.message)
        Session.objects.bulk_update(sessions, ["stats", "message"], batch_size=500)
        done += len(sessions)
    return done


def _message_without_personal_data(message: dict) -> dict:
    meta = (message or {}).get("meta") or {}
    kept = {key: meta[key] for key in ("templateName", "language") if key in meta}
    return {"meta": kept, "purged": True}


# --- Erasure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifiers:
    """Whom an erasure is about: their stored addresses and the wamids that name them."""

    addresses: frozenset[str]
    wamids: frozenset[str] = frozenset()

    @property
    def numbers(self) -> set[str]:
        """The addresses as they appear in Meta's payloads and our texts: digits, and "+digits"."""
        return set(self.addresses) | {f"+{a}" for a in self.addresses if a.isdigit()}


def recipient_identifiers(*, app: App, address: str) -> Identifiers:
    """Who `address` names in `app`: a possible phone number in any format, a BSUID or a wamid.

    A number is normalized with the region of each of the app's transports (strictness
    "possible"), so "+1 202 555 0101", "(202) 555-0101" (in a US transport) and "12025550101" are
    one person. A wamid stands for the person it was sent to (or who sent it). Anything else —
    "0", "12", an email — is refused: erasure matches whole identifiers, never fragments.
    """
    text = address.strip() if isinstance(address, str) else ""
    if WAMID.fullmatch(text):
        return _identifiers_of_wamid(app=app, wamid=text)
    if is_user_id(text):
        return Identifiers(addresses=frozenset({text}))
    regions = {
        transport.config.get("defaultRegion") or settings.PHONE_DEFAULT_REGION
        for transport in Transport.objects.filter(app=app).only("config")
    } or {settings.PHONE_DEFAULT_REGION}
    numbers = set()
    for region in sorted(regions):
        try:
            numbers.add(phone_normalize(text, region=region, strictness=STRICT_POSSIBLE))
        except AddressError:
            continue
    if not numbers:
        raise ErasureError(
            "not a phone number, a BSUID or a wamid (e.g. +1 202 555 0101, US.13491208655302741918, wamid.…)",
            field="address",
        )
    return Identifiers(addresses=frozenset(numbers))


def _identifiers_of_wamid(*, app: App, wamid: str) -> Identifiers:
    sent = Broadcast.objects.filter(session__app=app, wamid__in=[wamid, erased_wamid(wamid)]).exclude(address="")
    received = InboundMessage.objects.filter(app=app, message_id=wamid)
    addresses = set(sent.values_list("address", flat=True)) | set(received.values_list("wa_id", flat=True))
    addresses |= set(received.values_list("user_id", flat=True))
    return Identifiers(addresses=frozenset(addresses - {""}), wamids=frozenset({wamid}))


def recipient_erase(*, app: App, address: str, requested_by: str = "", dry_run: bool = False) -> Erasure:
    """Erase one person from `app`: their broadcasts and logs anonymized, inbound messages deleted,
    their number cut out of stored webhook events. Records that an erasure happened, never the number.

    Queued messages to them are cancelled. Other apps are not touched. Raises ErasureError.
    With `dry_run` nothing changes: the returned, unsaved Erasure has the counts a real run would have.
    """
    who = recipient_identifiers(app=app, address=address)
    with transaction.atomic():
        counts = _erase(app=app, who=who)
        if dry_run:
            # The same statements, rolled back: a dry run cannot count differently from the real run.
            transaction.set_rollback(True)
            return Erasure(app=app, requested_by=requested_by[:150], counts=counts)
        erasure = Erasure.objects.create(app=app, requested_by=requested_by[:150], counts=counts)
    logger.info("recipient erased", extra={"app": app.pk, "erasure": erasure.pk, **erasure.counts})
    return erasure


def _erase(*, app: App, who: Identifiers) -> dict[str, int]:
    forms, numbers = set(who.addresses), who.numbers
    broadcasts = Broadcast.objects.filter(session__app=app, address__in=forms)
    sessions = _own_sessions_scrub(app=app, forms=forms)
    wamids = _wamids_erase(broadcasts) | set(who.wamids)
    logs = _texts_scrub(
        BroadcastLog.objects.filter(broadcast__in=broadcasts),
        {"message": numbers | wamids, "error_title": numbers},
        request=None, response_body="",
    )
    # After the logs are scrubbed (its note holds nothing personal), before the rows lose their address.
    cancelled = broadcasts_cancel(broadcasts=broadcasts, note=ERASED_NOTE)
    anonymized = _texts_scrub(broadcasts, {"error_title": numbers}, address="", params={}, updated_at=timezone.now())
    inbound, _ = InboundMessage.objects.filter(Q(wa_id__in=forms) | Q(user_id__in=forms), app=app).delete()
    events = _webhook_events_scrub(app=app, numbers=numbers, wamids=wamids)
    # Callback events of the number (and their deliveries, pending ones too): never sent after the erasure.
    callback_events = CallbackEvent.objects.filter(app=app, address__in=forms | numbers).delete()[1].get(
        CallbackEvent._meta.label, 0
    )
    return {
        "broadcasts": anonymized,
        "sessions": sessions,
        "cancelled": cancelled,
        "logs": logs,
        "inbound_messages": inbound,
        "webhook_events": events,
        "callback_events": callback_events,
    }


def _texts_scrub(queryset: QuerySet, texts: dict[str, set[str]], **values) -> int:
    """Set `values` on every row, and cut the identifiers out of each text field as whole tokens; how many."""
    rows = list(queryset.only("pk", *texts))
    for row in rows:
        for name, identifiers in texts.items():
            setattr(row, name, _text_without(getattr(row, name), identifiers))
        for name, value in values.items():
            setattr(row, name, value)
    queryset.model.objects.bulk_update(rows, [*texts, *values], batch_size=500)
    return len(rows)


def _own_sessions_scrub(*, app: App, forms: set[str]) -> int:
    """Drop the message parameters of sessions sent to this person alone; how many.

    A one-recipient session usually carries the person's name or order number in its message;
    a session shared with others keeps its message (its parameters are not about one person).
    """
    theirs = Broadcast.objects.filter(session__app=app, address__in=forms).values("session_id")
    others = Broadcast.objects.filter(session_id=OuterRef("pk")).exclude(address__in=forms)
    sessions = list(
        Session.objects.filter(pk__in=theirs).exclude(Exists(others)).only("message")
    )
    for session in sessions:
        session.message = _message_without_personal_data(session.message)
    Session.objects.bulk_update(sessions, ["message"], batch_size=500)
    return len(sessions)


def erased_wamid(wamid: str) -> str:
    """What an erased broadcast keeps of its wamid: a one-way hash, so late webhooks still find it."""
    return "erased." + hashlib.sha256(wamid.encode()).hexdigest()


def _wamids_erase(broadcasts: QuerySet) -> set[str]:
    """Replace the broadcasts' wamids (Meta encodes the number in them) by their hash; the originals."""
    rows = list(broadcasts.filter(wamid__startswith="wamid.").only("id", "wamid"))
    originals = {row.wamid for row in rows}
    for row in rows:
        row.wamid = erased_wamid(row.wamid)
    Broadcast.objects.bulk_update(rows, ["wamid"], batch_size=500)
    return originals


def statuses_of_erased(*, app_id: int, items: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split status items for unknown wamids into (still unknown, those of erased recipients)."""
    def hashed(item: dict) -> str | None:
        return erased_wamid(item["id"]) if isinstance(item.get("id"), str) else None

    candidates = {key for item in items if (key := hashed(item))}
    if not candidates:
        return items, []
    found = set(
        Broadcast.objects.filter(session__app_id=app_id, wamid__in=candidates).values_list("wamid", flat=True)
    )
    unknown, erased = [], []
    for item in items:
        (erased if hashed(item) in found else unknown).append(item)
    return unknown, erased


def payload_without_erased(payload, items: list[dict]):
    """A stored Meta payload with the erased recipients' status items cut down to nothing personal."""
    numbers = {str(item.get("recipient_id")) for item in items if item.get("recipient_id")}
    wamids = {item["id"] for item in items}
    return _json_without(payload, numbers, wamids)


def _text_without(text, identifiers: set[str]):
    """`text` with each identifier cut out where it stands whole (not inside a longer number or id)."""
    if not isinstance(text, str) or not text or not identifiers:
        return text
    alternatives = "|".join(re.escape(i) for i in sorted(identifiers, key=len, reverse=True))  # "+1202…" first
    return re.sub(rf"(?<![0-9A-Za-z_])(?:{alternatives})(?![0-9A-Za-z_])", ERASED, text)


def _webhook_events_scrub(*, app: App, numbers: set[str], wamids: set[str]) -> int:
    """Cut the numbers, their wamids and what the person wrote or was called out of the app's stored events."""
    mentions = Q()
    for text in numbers | wamids:
        mentions |= Q(payload_text__contains=text) | Q(unmatched_text__contains=text)
    events = list(
        WebhookEvent.objects.filter(transport__app=app)
        .annotate(payload_text=Cast("payload", TextField()), unmatched_text=Cast("unmatched", TextField()))
        .filter(mentions)
        .only("id", "payload", "unmatched")
    )
    changed = []
    for event in events:
        payload = _json_without(event.payload, numbers, wamids)
        unmatched = _json_without(event.unmatched, numbers, wamids)
        if (payload, unmatched) != (event.payload, event.unmatched):  # a digit run inside another id is no mention
            event.payload, event.unmatched = payload, unmatched
            changed.append(event)
    WebhookEvent.objects.bulk_update(changed, ["payload", "unmatched"], batch_size=500)
    return len(changed)


def _json_without(obj, numbers: set[str], wamids: set[str] = frozenset()):
    """A copy of a Meta payload where every object naming one of `numbers` (or of their `wamids`)
    keeps only its status, time and type; its id becomes the wamid's hash."""
    if isinstance(obj, dict):
        named = [obj.get(key) for key in _NUMBER_KEYS if isinstance(obj.get(key), str)]
        if any(value in numbers for value in named) or (isinstance(obj.get("id"), str) and obj["id"] in wamids):
            kept = {key: obj[key] for key in _KEPT_KEYS if key in obj}
            if isinstance(kept.get("id"), str) and kept["id"].startswith("wamid."):
                kept["id"] = erased_wamid(kept["id"])
            return {**kept, **{key: ERASED for key in _NUMBER_KEYS if key in obj}}
        return {key: _json_without(value, numbers, wamids) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_json_without(item, numbers, wamids) for item in obj]
    if isinstance(obj, str):
        return ERASED if obj in numbers or obj in wamids else _text_without(obj, numbers | wamids)
    return obj
