"""Dispatch: claim a batch of a session's broadcasts, send it at the transport's pace, record outcomes.

PostgreSQL is the source of truth: rows are claimed with a conditional UPDATE and committed
before any request leaves, so a redelivered task finds nothing to claim, and a row claimed by
a worker that died stays SENDING until the sweeper re-queues it after its lease.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services.pacing import pace_backlog, pace_reserve, pace_throttled
from broadcasts.services.retry import AUTH, THROTTLED, retry_decide
from broadcasts.services.sending import SendOutcome, send_claimed
from broadcasts.services.sessions import session_cancelled_leftovers_cancel, session_finish_if_done
from broadcasts.services.sweeper import LOST_AGAIN
from transports.models import Transport
from transports.redaction import mask_phone
from transports.services import transport_stop
from whatsapp_gateway import metrics

logger = logging.getLogger("gateway.dispatch")

RUNNING = Session.RUNNING


@dataclass(frozen=True)
class DispatchResult:
    """What the task should do next: run again after `countdown` seconds, or stop (None)."""

    countdown: float | None


def dispatch_batch(*, session_id, task_id: str = "") -> DispatchResult:
    session = Session.objects.select_related("transport").filter(pk=session_id).first()
    if session is None or session.status not in RUNNING:
        return DispatchResult(countdown=None)
    transport = session.transport
    if transport.is_stopped or not transport.is_active:
        return DispatchResult(countdown=None)
    if session.status == Session.Status.NEW:
        Session.objects.filter(pk=session.pk, status=Session.Status.NEW).update(
            status=Session.Status.PENDING, started_at=timezone.now(), updated_at=timezone.now()
        )

    backlog = pace_backlog(transport_id=transport.pk)
    if backlog > settings.PACE_HORIZON_SECONDS:
        # The transport's slots are taken for a while: free this worker for other transports meanwhile.
        return DispatchResult(countdown=backlog - settings.PACE_HORIZON_SECONDS / 2)

    limit = batch_limit(transport)
    claimed = broadcasts_claim(session=session, limit=limit)
    if not claimed:
        if _session_finish(session):
            return DispatchResult(countdown=None)
        return DispatchResult(countdown=_wait_for_next_retry(session))

    logger.info(
        "sending batch",
        extra={"session": str(session.pk), "transport": transport.pk, "batch": len(claimed)},
    )
    first_slot, rate = pace_reserve(transport_id=transport.pk, rate=transport.rate_limit, count=len(claimed))
    metrics.rate_limit_wait_observe(transport_id=transport.pk, seconds=first_slot - time.time())
    # Recorded as the answers arrive, in small bulk writes: a crash strands only what is on the wire.
    auth_failure = None
    for outcomes in send_claimed(
        transport=transport, message=session.message, broadcasts=claimed, first_slot=first_slot, rate=rate
    ):
        auth_failure = outcomes_record(session=session, transport=transport, outcomes=outcomes, task_id=task_id) or (
            auth_failure
        )
    if auth_failure:
        # After the whole batch: its rows are all recorded (held) before the sessions are stopped.
        transport_stop_sending(transport=transport, reason=f"Meta refused the credentials: {auth_failure.describe()}")
        return DispatchResult(countdown=None)
    # A short batch took the last ready rows: finish now, not after another turn behind busier sessions.
    if len(claimed) < limit and _session_finish(session):
        return DispatchResult(countdown=None)
    return DispatchResult(countdown=transport.batch_delay)


def _session_finish(session: Session) -> bool:
    finished = session_finish_if_done(session_id=session.pk)
    if finished:
        logger.info("session finished", extra={"session": str(session.pk)})
    return finished


def batch_limit(transport: Transport) -> int:
    """At most PACE_HORIZON_SECONDS of the transport's sending: a slow transport holds a worker only briefly."""
    return max(1, min(transport.batch_size, int(transport.rate_limit * settings.PACE_HORIZON_SECONDS)))


def broadcasts_claim(*, session: Session, limit: int) -> list[Broadcast]:
    """Take up to `limit` ready broadcasts of the session for this worker, committed before sending.

    A row lost with a dying worker twice in a row is taken alone: if it is what kills workers,
    it takes no innocent batch-mates down with it again.
    """
    now = timezone.now()
    with transaction.atomic():
        ready = (
            Broadcast.objects.select_for_update(skip_locked=True)
            .filter(session=session, status=Broadcast.Status.QUEUED)
            .exclude(next_attempt_at__gt=now)
        )
        ids = list(ready.filter(error_code=LOST_AGAIN).order_by("id").values_list("id", flat=True)[:1]) or list(
            ready.order_by("id").values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Broadcast.objects.filter(id__in=ids, status=Broadcast.Status.QUEUED).update(
            status=Broadcast.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    # Outside the claim: trigger and cancel lock the session row before its broadcasts, so taking
    # them in the other order here could deadlock. The timestamp only tells the sweeper we are alive.
    Session.objects.filter(pk=session.pk).update(updated_at=now)
    return list(Broadcast.objects.filter(id__in=ids, status=Broadcast.Status.SENDING, claimed_at=now))


def _wait_for_next_retry(session: Session) -> float | None:
    """Seconds until the session's next scheduled retry, if one is due soon; the sweeper covers later ones."""
    upcoming = (
        Broadcast.objects.filter(session=session, status=Broadcast.Status.QUEUED, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if upcoming is None:
        return None  # others are still sending; their chain will finish the session
    wait = (upcoming - timezone.now()).total_seconds()
    return max(0.0, wait) if wait <= settings.RETRY_CHAIN_MAX_WAIT else None


def outcomes_record(
    *, session: Session, transport: Transport, outcomes: list[SendOutcome], task_id: str
) -> SendOutcome | None:
    """Write these outcomes' statuses and one attempt log per broadcast, in bulk.

    Returns the first outcome that says the transport's credentials were refused (the caller
    stops the transport), or None.
    """
    now = timezone.now()
    max_attempts = transport.max_attempts
    auth_failure = None
    throttled = False
    changed, logs = [], []
    tally = {"sent": 0, "retrying": 0, "failed": 0, "held": 0, "unknown": 0}
    for outcome in outcomes:
        broadcast = outcome.broadcast
        broadcast.claimed_at = None
        broadcast.updated_at = now
        if outcome.ok:
            broadcast.status = Broadcast.Status.SENT
            broadcast.wamid = outcome.provider_message_id
            broadcast.sent_at = now
            broadcast.error_code = broadcast.error_title = broadcast.error_category = ""
            broadcast.next_attempt_at = None
            tally["sent"] += 1
        else:
            broadcast.error_code = outcome.error_code
            broadcast.error_title = outcome.error_title[:255]
            broadcast.error_category = outcome.category
            if outcome.timed_out and transport.config.get("onTimeout", "wait") == "wait":
                # It may have reached Meta: resending would risk a duplicate. Its status webhook settles it.
                broadcast.status = Broadcast.Status.UNKNOWN
                broadcast.next_attempt_at = None
                tally["unknown"] += 1
            elif outcome.category == AUTH:
                auth_failure = auth_failure or outcome
                # Not the recipient's fault: the attempt is not counted, the message waits for the fix.
                broadcast.attempts -= 1
                broadcast.status = Broadcast.Status.QUEUED
                broadcast.next_attempt_at = None
                tally["held"] += 1
            else:
                if outcome.category == THROTTLED:
                    throttled = True
                    broadcast.attempts -= 1  # our pace, not the recipient: never counted toward maxAttempts
                decision = retry_decide(
                    category=outcome.category, attempts=broadcast.attempts, max_attempts=max_attempts,
                    retry_after=outcome.retry_after,
                )
                if decision.retry:
                    broadcast.status = Broadcast.Status.QUEUED
                    broadcast.next_attempt_at = decision.not_before
                    tally["retrying"] += 1
                    metrics.retry_observe(transport_id=transport.pk, category=outcome.category)
                else:
                    broadcast.status = Broadcast.Status.FAILED
                    broadcast.failed_at = now
                    tally["failed"] += 1
                _retry_decision_log(session=session, transport=transport, outcome=outcome, retry=decision.retry,
                                    max_attempts=max_attempts)
        changed.append(broadcast)
        logs.append(outcome.log_row(session=session, attempt=broadcast.attempts, task_id=task_id))

    with transaction.atomic():
        _broadcasts_save(changed, now=now)
        BroadcastLog.objects.bulk_create(logs, batch_size=1000)
    if tally["retrying"] or tally["held"]:
        tally["cancelled"] = session_cancelled_leftovers_cancel(session=session)
    metrics.send_outcomes_observe(transport_id=transport.pk, outcomes=outcomes)
    logger.info(
        "batch recorded",
        extra={"session": str(session.pk), "transport": transport.pk, "batch": len(outcomes), **tally,
               "throttled": throttled, "auth_failure": bool(auth_failure)},
    )
    if throttled:
        pace_throttled(transport_id=transport.pk, rate=transport.rate_limit, seconds=settings.THROTTLE_HOLD_SECONDS)
    return auth_failure


def _retry_decision_log(
    *, session: Session, transport: Transport, outcome: SendOutcome, retry: bool, max_attempts: int
) -> None:
    broadcast = outcome.broadcast
    logger.log(
        logging.INFO if retry else logging.WARNING,
        "retry scheduled" if retry else "giving up",
        extra={
            "session": str(session.pk), "transport": transport.pk, "broadcast": broadcast.pk,
            "to": mask_phone(broadcast.address), "attempt": broadcast.attempts, "max_attempts": max_attempts,
            "meta_code": outcome.error_code, "category": outcome.category,
            "not_before": broadcast.next_attempt_at.isoformat() if retry and broadcast.next_attempt_at else None,
        },
    )


def _broadcasts_save(changed: list[Broadcast], *, now) -> None:
    """Write a batch's outcomes in a few statements: the sent ones share every field but their wamid."""
    sent = [b for b in changed if b.status == Broadcast.Status.SENT]
    if sent:
        Broadcast.objects.filter(id__in=[b.pk for b in sent]).update(
            status=Broadcast.Status.SENT, sent_at=now, claimed_at=None, next_attempt_at=None,
            error_code="", error_title="", error_category="", updated_at=now,
        )
        Broadcast.objects.bulk_update(sent, ["wamid"], batch_size=1000)
    others = [b for b in changed if b.status != Broadcast.Status.SENT]
    if others:
        Broadcast.objects.bulk_update(
            others,
            ["status", "failed_at", "attempts", "claimed_at", "next_attempt_at", "error_code", "error_title",
             "error_category", "updated_at"],
            batch_size=1000,
        )


def transport_stop_sending(*, transport: Transport, reason: str) -> None:
    """Stop a transport and its running sessions with a clear reason, instead of failing every recipient."""
    stopped_now = transport_stop(transport_id=transport.pk, reason=reason)
    now = timezone.now()
    sessions = Session.objects.filter(transport=transport, status__in=RUNNING).update(
        status=Session.Status.FAILED, error=f"Transport stopped: {reason}", completed_at=now, updated_at=now
    )
    if stopped_now:
        metrics.transport_stop_observe(transport_id=transport.pk)
        logger.error(
            "transport stopped",
            extra={"transport": transport.pk, "transport_name": transport.name, "app": transport.app_id,
                   "reason": reason, "sessions_stopped": sessions},
        )
