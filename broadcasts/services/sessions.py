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
from broadcasts.services.validation import (
    MessageChecked,
    RecipientsChecked,
    message_check,
    recipients_check,
    template_errors_for_message,
)
from templates.models import Template
from transports.models import Transport
from whatsapp_gateway.api_input import text_problem
from whatsapp_gateway.errors import GatewayError
from whatsapp_gateway.models import App

logger = logging.getLogger("gateway.sessions")
STAT_KEYS = ["queued", "sending", "unknown", "sent", "delivered", "read", "failed", "cancelled"]
UNFINISHED = [Broadcast.Status.QUEUED, Broadcast.Status.SENDING]
RUNNING = Session.RUNNING
IDEMPOTENCY_KEY_MAX_LENGTH = Session._meta.get_field("idempotency_key").max_length
CANCELLED_NOTE = "Cancelled before it was sent."


class SessionError(GatewayError):
    """A session request the gateway refuses: 400 for bad input, 409 for a session in the wrong state."""


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
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise SessionError(f"At most {IDEMPOTENCY_KEY_MAX_LENGTH} characters.", field="Idempotency-Key")
    if idempotency_key and (problem := text_problem(idempotency_key)):
        raise SessionError(problem, field="Idempotency-Key")
    fingerprint = _fingerprint(transport_id, message, recipients, skip_invalid)
    if idempotency_key:
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint, recipients=recipients)
        if replay:
            return replay
    transport = Transport.objects.filter(app=app, pk=transport_id).first()
    if transport is None:
        raise SessionError(
            f"No transport with id {transport_id} in this app.", field="transport", code="unknown_transport"
        )
    if not transport.is_active:
        raise SessionError(f"Transport {transport.name} is inactive.", field="transport", code="transport_inactive")

    checked_message = message_check(transport=transport, message=message)
    if checked_message.errors:
        raise SessionError(errors={"message": checked_message.errors}, code="invalid_message")
    checked = recipients_check(
        transport=transport, message=message, recipients=recipients, checked_message=checked_message
    )
    template_errors = template_errors_for_message(checked_message, checked)
    if template_errors:
        raise SessionError(errors={"message": template_errors}, code="template_not_usable")
    if checked.invalid and not skip_invalid:
        raise SessionError(errors={"recipients": checked.invalid}, code="invalid_recipients")
    if not checked.valid:
        raise SessionError(
            errors={"recipients": checked.invalid or ["At least one recipient is required."]}, code="invalid_recipients"
        )
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
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint, recipients=recipients)
        if replay is None:
            raise
        return replay
    return SessionCreated(session=session, invalid=checked.invalid, duplicates=checked.duplicates)


def _fingerprint(transport_id, message, recipients, skip_invalid) -> str:
    body = json.dumps([transport_id, message, recipients, skip_invalid], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _idempotent_replay(*, app: App, key: str, fingerprint: str, recipients: list) -> SessionCreated | None:
    session = Session.objects.select_related("transport").filter(app=app, idempotency_key=key).first()
    if session is None:
        return None
    if session.request_fingerprint != fingerprint:
        raise SessionError(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused", status=409,
        )
    checked = _recipients_recheck(session=session, recipients=recipients)
    return SessionCreated(session=session, replayed=True, invalid=checked.invalid, duplicates=checked.duplicates)


def _recipients_recheck(*, session: Session, recipients: list) -> RecipientsChecked:
    """The recipients report the first request got, rebuilt from the same body.

    Rebuilt rather than stored, so the rejected numbers are not kept as personal data. The stored
    template is used as it is (no sync, whatever its status now): the session was accepted with it.
    """
    meta = session.message.get("meta") or {}
    template = None
    if meta.get("templateName"):
        template = Template.objects.filter(
            transport=session.transport, name=meta["templateName"], language=meta.get("language") or "en_US"
        ).first()
    return recipients_check(
        transport=session.transport, message=session.message, recipients=recipients,
        checked_message=MessageChecked(template=template),
    )


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
    """Publish the session's batch chains; a broker that is down is logged, not raised.

    This runs after COMMIT, so the session is stored either way: raising would turn an accepted
    request into a 500. The sweeper publishes sessions nobody moved once the broker is back.
    """
    from broadcasts.tasks import dispatch_session

    try:
        for _ in range(session_parallelism(session.total, session.transport)):
            dispatch_session.delay(str(session.pk))
    except Exception:  # noqa: BLE001 — kombu raises OperationalError or OSError; the sweeper retries
        logger.warning(
            "could not enqueue the session; the sweeper will publish it", extra={"session": str(session.pk)},
            exc_info=True,
        )


def session_parallelism(remaining: int, transport: Transport) -> int:
    """How many batch chains work on one session at once: enough to keep workers busy, no more."""
    batches = -(-remaining // transport.batch_size)
    return max(1, min(settings.SESSION_PARALLELISM, batches))


def session_stats(*, session: Session) -> dict:
    """Live counts by status; they add up to `total`. A snapshot is kept once personal data is purged."""
    return sessions_stats(sessions=[session])[session.pk]


def sessions_stats(*, sessions: list[Session]) -> dict:
    """`session_stats` of many sessions (a page of a list) in one query, by session id."""
    counts: dict = {session.pk: {} for session in sessions}
    live = [session.pk for session in sessions if not session.stats.get("frozen")]
    if live:
        rows = (
            Broadcast.objects.filter(session_id__in=live)
            .values_list("session_id", "status")
            .annotate(n=Count("id"))
            .values_list("session_id", "status", "n")
        )
        for session_id, status, n in rows:
            counts[session_id][status] = n
    result = {}
    for session in sessions:
        if session.stats.get("frozen"):
            result[session.pk] = {key: session.stats.get(key, 0) for key in ["total", *STAT_KEYS]}
            continue
        stats = {key: counts[session.pk].get(key.upper(), 0) for key in STAT_KEYS}
        result[session.pk] = {"total": sum(stats.values()), **stats}
    return result


def session_finish_if_done(*, session_id) -> bool:
    """Mark a running session COMPLETED (or FAILED when nothing could be sent) once no work is left."""
    with transaction.atomic():
        # The session row lock orders this with a concurrent trigger: either the trigger's
        # re-queued rows are seen here, or the trigger sets the finished session PENDING again.
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None or session.status not in RUNNING:
            return False
        if Broadcast.objects.filter(session_id=session_id, status__in=UNFINISHED).exists():
            return False
        stats = session_stats(session=session)
        delivered_any = stats["total"] - stats["failed"] - stats["cancelled"] > 0
        status = Session.Status.COMPLETED if delivered_any or stats["total"] == 0 else Session.Status.FAILED
        now = timezone.now()
        Session.objects.filter(pk=session_id).update(status=status, completed_at=now, stats=stats, updated_at=now)
    return True


def session_trigger(*, session: Session, resend_unknown: bool = False) -> int:
    """Re-queue what failed retryably or never finished, within maxAttempts; returns how many.

    With `resend_unknown`, also the UNKNOWN broadcasts (sent, never answered): on purpose only,
    since one that did reach Meta then arrives twice.
    """
    transport = session.transport
    if transport.is_stopped:
        # Re-queued work would only wait: say what to fix instead of counting messages that cannot leave.
        raise SessionError(
            f"Transport {transport.name} is stopped ({transport.stopped_reason}): resume it, then trigger.",
            code="transport_stopped", status=409,
        )
    max_attempts = transport.max_attempts
    now = timezone.now()
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
        if status == Session.Status.CANCELLED:
            raise SessionError("A cancelled session cannot be triggered.", code="session_cancelled", status=409)
        if status == Session.Status.PAUSED:
            raise SessionError(
                "The session is paused: resume it to send again.", code="session_paused", status=409
            )
        retryable = (
            Broadcast.objects.filter(session=session, attempts__lt=max_attempts)
            .filter(
                Q(status=Broadcast.Status.QUEUED)
                | Q(status=Broadcast.Status.FAILED, error_category__in=[*RETRYABLE, AUTH])
                | (Q(status=Broadcast.Status.UNKNOWN) if resend_unknown else Q(pk__in=[]))
            )
        )
        resent = [Broadcast.Status.FAILED, Broadcast.Status.UNKNOWN]
        failed_ids = list(retryable.filter(status__in=resent).values_list("id", flat=True))
        requeued = retryable.update(status=Broadcast.Status.QUEUED, next_attempt_at=None, updated_at=now)
        # A failure sent again must read as such in the message's history.
        BroadcastLog.objects.bulk_create(
            [
                BroadcastLog(
                    broadcast_id=bid, session=session, kind=BroadcastLog.Kind.NOTE,
                    status=Broadcast.Status.QUEUED, message="Re-queued by a trigger.",
                )
                for bid in failed_ids
            ],
            batch_size=5000,
        )
        if requeued:
            Session.objects.filter(pk=session.pk).update(
                status=Session.Status.PENDING, completed_at=None, error="", updated_at=now
            )
            transaction.on_commit(lambda: enqueue_dispatch(session))
    return requeued


def session_pause(*, session: Session) -> Session:
    """Stop claiming the session's broadcasts until it is resumed; the batch already on the wire finishes."""
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
        if status not in RUNNING:
            raise SessionError(
                f"Only a running session can be paused; this one is {status}.", code="session_not_running", status=409
            )
        Session.objects.filter(pk=session.pk).update(status=Session.Status.PAUSED, updated_at=timezone.now())
    session.refresh_from_db()
    return session


def session_resume(*, session: Session) -> Session:
    """Let a paused session send again, from where it stopped."""
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
        if status != Session.Status.PAUSED:
            raise SessionError(
                f"Only a paused session can be resumed; this one is {status}.", code="session_not_paused", status=409
            )
        Session.objects.filter(pk=session.pk).update(status=Session.Status.PENDING, updated_at=timezone.now())
        transaction.on_commit(lambda: enqueue_dispatch(session))
    session.refresh_from_db()
    return session


def session_cancel(*, session: Session) -> int:
    """Stop what has not been sent; returns how many broadcasts were cancelled."""
    now = timezone.now()
    with transaction.atomic():
        # Locked so a worker recording a retry at this moment sees CANCELLED (see broadcasts_cancel_queued).
        status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
        if status in {Session.Status.COMPLETED, Session.Status.CANCELLED}:
            raise SessionError(f"The session is already {status}.", code="session_finished", status=409)
        cancelled = broadcasts_cancel_queued(session=session, now=now)
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED, cancelled_at=now, updated_at=now)
    return cancelled


def broadcasts_cancel_queued(*, session: Session, now) -> int:
    """Cancel the session's QUEUED broadcasts, each with a NOTE log; returns how many. Call inside a transaction."""
    cancelled_ids = list(
        Broadcast.objects.select_for_update()
        .filter(session=session, status=Broadcast.Status.QUEUED)
        .values_list("id", flat=True)
    )
    Broadcast.objects.filter(id__in=cancelled_ids).update(status=Broadcast.Status.CANCELLED, updated_at=now)
    BroadcastLog.objects.bulk_create(
        [
            BroadcastLog(
                broadcast_id=bid, session=session, kind=BroadcastLog.Kind.NOTE,
                status=Broadcast.Status.CANCELLED, message=CANCELLED_NOTE,
            )
            for bid in cancelled_ids
        ],
        batch_size=5000,
    )
    return len(cancelled_ids)


def session_cancelled_leftovers_cancel(*, session: Session) -> int:
    """After a batch is recorded: retries of a session cancelled mid-batch are cancelled, not left QUEUED.

    The cancel only sees QUEUED rows; the batch in flight comes back afterwards, and without this
    its retryable failures would sit QUEUED in a session no worker looks at any more.
    """
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).filter(pk=session.pk).first()
        if status != Session.Status.CANCELLED:
            return 0
        return broadcasts_cancel_queued(session=session, now=timezone.now())
