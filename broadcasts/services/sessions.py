"""Sessions: create (validate everything first), trigger, cancel, stats and completion."""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services.retry import AUTH, RETRYABLE
from broadcasts.services.validation import message_check, recipients_check, template_errors_for_message
from transports.models import Transport
from whatsapp_gateway.models import App

logger = logging.getLogger("gateway.sessions")
STAT_KEYS = ["queued", "sending", "sent", "delivered", "read", "failed", "cancelled"]
UNFINISHED = [Broadcast.Status.QUEUED, Broadcast.Status.SENDING]


class SessionError(Exception):
    """A request the gateway refuses; `status` is the HTTP status, `detail` the body."""

    def __init__(self, detail: dict, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass
class SessionCreated:
    session: Session
    replayed: bool = False
    invalid: list[dict] = field(default_factory=list)
    duplicates: int = 0


def session_create(
    *,
    app: App,
    transport_id: int,
    message: dict,
    recipients: list,
    idempotency_key: str | None = None,
    skip_invalid: bool = False,
) -> SessionCreated:
    """Validate the whole request, store the session and its broadcasts, and enqueue after commit.

    Nothing is stored when anything is invalid, unless `skip_invalid` asks to keep the valid
    recipients (the invalid ones are reported back). The same Idempotency-Key with the same
    body returns the first session; with another body it is a 409.
    """
    fingerprint = _fingerprint(transport_id, message, recipients, skip_invalid)
    if idempotency_key:
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint)
        if replay:
            return replay
    transport = Transport.objects.filter(app=app, pk=transport_id).first()
    if transport is None:
        raise SessionError({"transport": [f"No transport with id {transport_id} in this app."]})
    if not transport.is_active:
        raise SessionError({"transport": [f"Transport {transport.name} is inactive."]})

    checked_message = message_check(transport=transport, message=message)
    if checked_message.errors:
        raise SessionError({"message": checked_message.errors})
    checked = recipients_check(
        transport=transport, message=message, recipients=recipients, checked_message=checked_message
    )
    template_errors = template_errors_for_message(checked_message, checked)
    if template_errors:
        raise SessionError({"message": template_errors})
    if checked.invalid and not skip_invalid:
        raise SessionError({"recipients": checked.invalid})
    if not checked.valid:
        raise SessionError({"recipients": checked.invalid or ["At least one recipient is required."]})
    logger.info(
        "transport selected",
        extra={
            "app": app.pk,
            "transport": transport.pk,
            "recipients": len(checked.valid),
            "invalid": len(checked.invalid),
        },
    )

    try:
        with transaction.atomic():
            session = Session.objects.create(
                app=app,
                transport=transport,
                message=message,
                total=len(checked.valid),
                idempotency_key=idempotency_key or None,
                request_fingerprint=fingerprint,
                stats={**dict.fromkeys(STAT_KEYS, 0), "queued": len(checked.valid), "total": len(checked.valid)},
            )
            _broadcasts_insert(session=session, recipients=checked.valid)
            transaction.on_commit(lambda: enqueue_dispatch(session))
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race.
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint)
        if replay is None:
            raise
        return replay
    return SessionCreated(session=session, invalid=checked.invalid, duplicates=checked.duplicates)


def _fingerprint(transport_id, message, recipients, skip_invalid) -> str:
    body = json.dumps([transport_id, message, recipients, skip_invalid], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _idempotent_replay(*, app: App, key: str, fingerprint: str) -> SessionCreated | None:
    session = Session.objects.filter(app=app, idempotency_key=key).first()
    if session is None:
        return None
    if session.request_fingerprint != fingerprint:
        raise SessionError(
            {"detail": "This Idempotency-Key was already used with a different request body."}, status=409
        )
    return SessionCreated(session=session, replayed=True)


def _broadcasts_insert(*, session: Session, recipients: list[tuple[str, dict]]) -> None:
    if connection.vendor == "postgresql":
        _broadcasts_copy(session=session, recipients=recipients)
        return
    rows = (Broadcast(session=session, address=address, params=params) for address, params in recipients)
    Broadcast.objects.bulk_create(rows, batch_size=5000)


def _broadcasts_copy(*, session: Session, recipients: list[tuple[str, dict]]) -> None:
    """PostgreSQL's COPY: a 100,000-recipient session is stored in about a second instead of many."""
    now = timezone.now()
    queued = Broadcast.Status.QUEUED
    columns = "session_id, address, params, status, attempts, error_code, error_title, error_category, updated_at"
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY {Broadcast._meta.db_table} ({columns}) FROM STDIN"  # noqa: S608 — constant names only
    ) as copy:
        for address, params in recipients:
            copy.write_row((session.pk, address, json.dumps(params), queued, 0, "", "", "", now))


def enqueue_dispatch(session: Session) -> None:
    from broadcasts.tasks import dispatch_session

    for _ in range(session_parallelism(session.total, session.transport)):
        dispatch_session.delay(str(session.pk))


def session_parallelism(remaining: int, transport: Transport) -> int:
    """How many batch chains work on one session at once: enough to keep workers busy, no more."""
    batches = -(-remaining // transport.batch_size)
    return max(1, min(settings.SESSION_PARALLELISM, batches))


def session_stats(*, session: Session) -> dict:
    """Live counts by status; they add up to `total`. A snapshot is kept once personal data is purged."""
    if session.stats.get("frozen"):
        return {key: session.stats.get(key, 0) for key in ["total", *STAT_KEYS]}
    counts = dict(
        Broadcast.objects.filter(session=session)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    stats = {key: counts.get(key.upper(), 0) for key in STAT_KEYS}
    stats["total"] = sum(stats.values())
    return {"total": stats.pop("total"), **stats}


def session_finish_if_done(*, session_id) -> bool:
    """Mark a running session COMPLETED (or FAILED when nothing could be sent) once no work is left."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None or session.status not in {Session.Status.NEW, Session.Status.PENDING}:
        return False
    if Broadcast.objects.filter(session_id=session_id, status__in=UNFINISHED).exists():
        return False
    stats = session_stats(session=session)
    delivered_any = stats["total"] - stats["failed"] - stats["cancelled"] > 0
    status = Session.Status.COMPLETED if delivered_any or stats["total"] == 0 else Session.Status.FAILED
    return bool(
        Session.objects.filter(pk=session_id, status__in=[Session.Status.NEW, Session.Status.PENDING]).update(
            status=status, completed_at=timezone.now(), stats=stats, updated_at=timezone.now()
        )
    )


def session_trigger(*, session: Session) -> int:
    """Re-queue what failed retryably or never finished, within maxAttempts; returns how many."""
    if session.status == Session.Status.CANCELLED:
        raise SessionError({"detail": "A cancelled session cannot be triggered."}, status=409)
    max_attempts = session.transport.max_attempts
    with transaction.atomic():
        requeued = (
            Broadcast.objects.filter(session=session, attempts__lt=max_attempts)
            .filter(
                Q(status=Broadcast.Status.QUEUED)
                | Q(status=Broadcast.Status.FAILED, error_category__in=[*RETRYABLE, AUTH])
            )
            .update(status=Broadcast.Status.QUEUED, next_attempt_at=None, updated_at=timezone.now())
        )
        if requeued:
            Session.objects.filter(pk=session.pk).update(
                status=Session.Status.PENDING, completed_at=None, error="", updated_at=timezone.now()
            )
            transaction.on_commit(lambda: enqueue_dispatch(session))
    return requeued


def session_cancel(*, session: Session) -> int:
    """Stop what has not been sent; returns how many broadcasts were cancelled."""
    if session.status in {Session.Status.COMPLETED, Session.Status.CANCELLED}:
        raise SessionError({"detail": f"The session is already {session.status}."}, status=409)
    now = timezone.now()
    with transaction.atomic():
        cancelled_ids = list(
            Broadcast.objects.select_for_update()
            .filter(session=session, status=Broadcast.Status.QUEUED)
            .values_list("id", flat=True)
        )
        Broadcast.objects.filter(id__in=cancelled_ids).update(status=Broadcast.Status.CANCELLED, updated_at=now)
        BroadcastLog.objects.bulk_create(
            [
                BroadcastLog(
                    broadcast_id=bid,
                    session=session,
                    kind=BroadcastLog.Kind.NOTE,
                    status=Broadcast.Status.CANCELLED,
                    message="Cancelled before it was sent.",
                )
                for bid in cancelled_ids
            ],
            batch_size=5000,
        )
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED, cancelled_at=now, updated_at=now)
    return len(cancelled_ids)
