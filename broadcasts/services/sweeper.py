"""The sweeper: nothing committed is left unsent, whatever crashed.

It re-queues broadcasts claimed by a worker that died (their lease ran out) and re-enqueues
sessions with ready work that nobody is moving: committed but never published, or whose
tasks were lost with a broker or worker.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadcasts.models import LOST_AGAIN, Broadcast, BroadcastLog, Session
from broadcasts.services.queueing import enqueue_dispatch
from broadcasts.services.transitions import LOST, broadcast_move, broadcasts_save
from transports.errors import ErrorCategory

logger = logging.getLogger("gateway.sweeper")
LOST_IN_FLIGHT = "in-flight-lost"
# A send lost with its worker reached Meta after all, and the message was sent again.
SENT_TWICE = "sent-twice"


@dataclass(frozen=True)
class SweepReport:
    requeued_in_flight: int
    sessions_resumed: int


def sweep() -> SweepReport:
    now = timezone.now()
    requeued_sessions = _requeue_expired_claims(now=now)
    requeued = sum(requeued_sessions.values())
    resumed = 0
    stale_before = now - timedelta(seconds=settings.SWEEPER_STALE_AFTER)
    # A session whose rows were just re-queued is dispatched in this pass, not once it looks idle.
    for session in Session.objects.filter(
        Q(updated_at__lt=stale_before) | Q(pk__in=list(requeued_sessions)),
        status__in=Session.RUNNING,
    ).exclude(waiting_until__gt=now).select_related("transport"):  # waiting for its send window: not stuck
        if session.transport.is_stopped:
            continue
        has_ready = (
            Broadcast.objects.filter(session=session, status=Broadcast.Status.QUEUED)
            .exclude(next_attempt_at__gt=now)
            .exists()
        )
        nothing_left = not Broadcast.objects.filter(
            session=session, status__in=[Broadcast.Status.QUEUED, Broadcast.Status.SENDING]
        ).exists()
        if has_ready or nothing_left:
            Session.objects.filter(pk=session.pk).update(updated_at=now)
            enqueue_dispatch(session)
            resumed += 1
    if requeued or resumed:
        logger.warning("sweeper recovered work", extra={"requeued_in_flight": requeued, "sessions": resumed})
    return SweepReport(requeued_in_flight=requeued, sessions_resumed=resumed)


def _requeue_expired_claims(*, now) -> dict[int, int]:
    """Broadcasts whose worker died mid-send: their outcome is unknown, so they are resent and logged.

    Returns how many rows each session got back, by session id.

    Meta has no idempotency key, so this may deliver a message twice; it can only happen to a
    request that was in flight at the crash, and the NOTE log row says so. The lost attempt
    counts, so a message that kills its worker every time still ends after maxAttempts.
    """
    expired = now - timedelta(seconds=settings.CLAIM_LEASE_SECONDS)
    with transaction.atomic():
        rows = list(
            Broadcast.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Broadcast.Status.SENDING, claimed_at__lt=expired)
            .select_related("session__transport")[:10000]
        )
        if not rows:
            return {}
        logs = []
        for broadcast in rows:
            exhausted = broadcast.attempts >= broadcast.session.transport.max_attempts
            # A session cancelled meanwhile sends nothing more: QUEUED there would never move again.
            cancelled = broadcast.session.status == Session.Status.CANCELLED
            broadcast_move(broadcast, move=LOST, to=(
                Broadcast.Status.FAILED if exhausted
                else Broadcast.Status.CANCELLED if cancelled
                else Broadcast.Status.QUEUED
            ))
            broadcast.failed_at = now if exhausted else None
            broadcast.claimed_at = broadcast.next_attempt_at = None
            lost_before = broadcast.error_code in (LOST_IN_FLIGHT, LOST_AGAIN)
            broadcast.error_code = LOST_AGAIN if lost_before else LOST_IN_FLIGHT
            broadcast.error_category = ErrorCategory.TRANSIENT
            broadcast.error_title = "Worker stopped while sending"
            logs.append(
                BroadcastLog(
                    broadcast=broadcast,
                    session_id=broadcast.session_id,
                    kind=BroadcastLog.Kind.NOTE,
                    attempt=broadcast.attempts,
                    status=broadcast.status,
                    error_code=LOST_IN_FLIGHT,
                    message="The worker sending this stopped before recording the outcome, so it may have been "
                    + (
                        "delivered. maxAttempts reached: not resent."
                        if exhausted
                        else "delivered. The session was cancelled: not resent."
                        if cancelled
                        else "delivered. Re-queued to resend."
                    ),
                )
            )
        broadcasts_save(
            rows,
            fields=["status", "failed_at", "claimed_at", "next_attempt_at", "error_code", "error_category",
                    "error_title"],
            now=now,
        )
        BroadcastLog.objects.bulk_create(logs, batch_size=1000)
    return dict(Counter(broadcast.session_id for broadcast in rows))


def reached_meta_before(sent: list[Broadcast]) -> list[tuple[Broadcast, str]]:
    """Of these just-answered broadcasts, those a status webhook already gave another wamid, with it.

    That wamid is an earlier send's, lost with its worker, that Meta reported (by the broadcast's
    reference) while this resend was on the wire.
    """
    if not sent:
        return []
    stored = dict(
        Broadcast.objects.filter(id__in=[b.pk for b in sent]).exclude(wamid__isnull=True).exclude(wamid="")
        .values_list("id", "wamid")
    )
    return [(b, stored[b.pk]) for b in sent if stored.get(b.pk) not in (None, b.wamid)]


def sent_twice_record(sends: list[tuple[Broadcast, str]]) -> int:
    """Log, once each, that a broadcast also reached Meta as `wamid`: a send whose answer was lost got through.

    Meta has no idempotency key, so a request on the wire when its worker died may be delivered and
    then resent. The lost send shows up later, in statuses that carry the broadcast's reference:
    this ATTEMPT row puts its wamid in the history beside the one that was answered. Returns how many.
    """
    logs = []
    for broadcast, wamid in sends:
        if BroadcastLog.objects.filter(broadcast=broadcast, kind=BroadcastLog.Kind.ATTEMPT, message__contains=wamid
                                       ).exists():
            continue
        logs.append(BroadcastLog(
            broadcast=broadcast, session_id=broadcast.session_id, kind=BroadcastLog.Kind.ATTEMPT,
            status=Broadcast.Status.SENT, attempt=broadcast.attempts, error_code=SENT_TWICE,
            message=f"Also sent as {wamid}: an attempt whose answer was lost reached Meta, "
            "so the recipient may have this message twice.",
        ))
    BroadcastLog.objects.bulk_create(logs)
    if logs:
        logger.warning("message sent twice", extra={"broadcasts": [log.broadcast_id for log in logs]})
    return len(logs)
