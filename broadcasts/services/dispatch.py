"""Dispatch: claim a batch of a session's broadcasts, send it at the transport's pace, record outcomes.

PostgreSQL is the source of truth: rows are claimed with a conditional UPDATE and committed
before any request leaves, so a redelivered task finds nothing to claim, and a row claimed by
a worker that died stays SENDING until the sweeper re-queues it after its lease.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services.optouts import optouts_from_errors
from broadcasts.services.pacing import (
    circuit_probe_take,
    circuit_record,
    circuit_state,
    pace_backlog,
    pace_reserve,
    pace_throttled,
)
from broadcasts.services.retry import AUTH, THROTTLED, TRANSIENT, retry_decide
from broadcasts.services.sending import SendOutcome, send_claimed
from broadcasts.services.sessions import session_hold_for_template
from broadcasts.services.sweeper import LOST_AGAIN, sent_twice_record
from broadcasts.services.transitions import (
    SEND_OUTCOME,
    broadcast_move,
    broadcasts_claim,
    broadcasts_save,
    broadcasts_sent_save,
    session_cancelled_leftovers_cancel,
    session_finish_if_done,
    session_start,
    sessions_stop,
)
from transports.errors import HOLD_SESSION, NEXT_DAY
from transports.models import Transport
from transports.redaction import mask_phone
from transports.services import transport_stop
from whatsapp_gateway import metrics

logger = logging.getLogger("gateway.dispatch")
# Meta asks to wait at least 24 hours after its per-user marketing limit before trying that recipient again.
NEXT_DAY_SECONDS = 24 * 3600



@dataclass(frozen=True)
class DispatchResult:
    """What the task should do next: run again after `countdown` seconds, or stop (None)."""

    countdown: float | None


def dispatch_batch(*, session_id, task_id: str = "") -> DispatchResult:
    session = Session.objects.select_related("transport").filter(pk=session_id).first()
    if session is None or session.status not in Session.RUNNING:
        return DispatchResult(countdown=None)
    transport = session.transport
    if transport.is_stopped or not transport.is_active:
        return DispatchResult(countdown=None)
    session_start(session=session)

    backlog = pace_backlog(transport_id=transport.pk)
    if backlog > settings.PACE_HORIZON_SECONDS:
        # The transport's slots are taken for a while: free this worker for other transports meanwhile.
        return DispatchResult(countdown=backlog - settings.PACE_HORIZON_SECONDS / 2)

    circuit, probe = circuit_state(transport_id=transport.pk), False
    if circuit.tripped:
        if not circuit.probing:
            return DispatchResult(countdown=circuit.wait(time.time()))
        if not circuit_probe_take(transport_id=transport.pk):
            return DispatchResult(countdown=settings.CIRCUIT_PROBE_AFTER)  # another worker is probing
        probe = True
    limit = 1 if probe else batch_limit(transport)
    claimed = batch_claim(session=session, limit=limit)
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
        auth_failure = outcomes_record(
            session=session, transport=transport, outcomes=outcomes, task_id=task_id, probe=probe
        ) or auth_failure
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


def batch_claim(*, session: Session, limit: int) -> list[Broadcast]:
    """Take up to `limit` ready broadcasts of the session for this worker, committed before sending.

    A row lost with a dying worker twice in a row is taken alone: if it is what kills workers,
    it takes no innocent batch-mates down with it again.
    """
    ready = Broadcast.objects.filter(session=session).exclude(next_attempt_at__gt=timezone.now())
    return broadcasts_claim(session=session, ready=ready, limit=limit, alone={"error_code": LOST_AGAIN})


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
    *, session: Session, transport: Transport, outcomes: list[SendOutcome], task_id: str, probe: bool = False
) -> SendOutcome | None:
    """Write these outcomes' statuses and one attempt log per broadcast, in bulk.

    Returns the first outcome that says the transport's credentials were refused (the caller
    stops the transport), or None. `probe` says this was the one message sent to test a tripped circuit.
    """
    now = timezone.now()
    circuit = circuit_record(
        transport_id=transport.pk, failures=sum(map(_server_side_failure, outcomes)),
        successes=sum(outcome.ok for outcome in outcomes), probe=probe,
    )
    max_attempts = transport.max_attempts
    auth_failure = template_held = None
    throttled = False
    changed, logs = [], []
    next_days_used = _next_day_retries(outcomes)
    tally = {"sent": 0, "retrying": 0, "failed": 0, "held": 0, "unknown": 0}
    for outcome in outcomes:
        broadcast = outcome.broadcast
        broadcast.claimed_at = None
        broadcast.updated_at = now
        if outcome.ok:
            broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.SENT)
            broadcast.wamid = outcome.provider_message_id
            broadcast.message_status = outcome.message_status
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
                broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.UNKNOWN)
                broadcast.next_attempt_at = None
                tally["unknown"] += 1
            elif outcome.policy == HOLD_SESSION:
                # The template, not the recipient: the message waits for the template or a resume.
                template_held = template_held or outcome
                _requeue_uncounted(broadcast)
                tally["held"] += 1
            elif outcome.policy == NEXT_DAY and next_days_used.get(broadcast.pk, 0) < _next_days(transport):
                # Meta's per-user marketing limit: not today. Opted in, it goes again a day later.
                _requeue_uncounted(
                    broadcast, not_before=now + timedelta(seconds=NEXT_DAY_SECONDS + random.uniform(0, 3600))
                )
                tally["retrying"] += 1
            elif outcome.category == AUTH:
                # Not the recipient's fault: the message waits for the transport's fix.
                auth_failure = auth_failure or outcome
                _requeue_uncounted(broadcast)
                tally["held"] += 1
            else:
                retry_after = outcome.retry_after
                if outcome.category == THROTTLED:
                    throttled = True
                    broadcast.attempts -= 1  # our pace, not the recipient: never counted toward maxAttempts
                elif circuit.tripped and _server_side_failure(outcome):
                    # An outage, not the recipient: not counted, and not retried before the circuit lets it.
                    broadcast.attempts -= 1
                    retry_after = max(retry_after or 0.0, circuit.wait(time.time()))
                decision = retry_decide(
                    category=outcome.category, attempts=broadcast.attempts, max_attempts=max_attempts,
                    retry_after=retry_after,
                )
                if decision.retry:
                    broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.QUEUED)
                    broadcast.next_attempt_at = decision.not_before
                    tally["retrying"] += 1
                    metrics.retry_observe(transport_id=transport.pk, category=outcome.category)
                else:
                    broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.FAILED)
                    broadcast.failed_at = now
                    tally["failed"] += 1
                _retry_decision_log(session=session, transport=transport, outcome=outcome, retry=decision.retry,
                                    max_attempts=max_attempts)
        changed.append(broadcast)
        logs.append(outcome.log_row(session=session, attempt=broadcast.attempts, task_id=task_id))

    sent = [b for b in changed if b.status == Broadcast.Status.SENT]
    with transaction.atomic():
        sent_twice_record(_reached_meta_before(sent))
        broadcasts_sent_save(sent, now=now)
        broadcasts_save(
            [b for b in changed if b.status != Broadcast.Status.SENT],
            fields=["status", "failed_at", "attempts", "claimed_at", "next_attempt_at", "error_code", "error_title",
                    "error_category"],
            now=now,
        )
        BroadcastLog.objects.bulk_create(logs, batch_size=1000)
    optouts_from_errors(failed=[(session.app_id, b.address, b.error_code) for b in changed if b.error_code])
    if template_held:
        session_hold_for_template(
            session=session, reason=f"Meta stopped the template ({template_held.describe()}): the session resumes by "
            "itself once the template is approved again (status webhook or sync), or when you resume it.",
        )
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


def _requeue_uncounted(broadcast: Broadcast, *, not_before=None) -> None:
    """Back to the queue without spending an attempt: what went wrong was not this recipient's doing."""
    broadcast.attempts -= 1
    broadcast_move(broadcast, move=SEND_OUTCOME, to=Broadcast.Status.QUEUED)
    broadcast.next_attempt_at = not_before


def _next_days(transport: Transport) -> int:
    return int(transport.config.get("marketingLimitRetryDays") or 0)


def _next_day_retries(outcomes: list[SendOutcome]) -> dict[int, int]:
    """How many times each broadcast answered with a next-day policy was already put off to a later day."""
    codes = {outcome.error_code for outcome in outcomes if not outcome.ok and outcome.policy == NEXT_DAY}
    if not codes:
        return {}
    ids = [outcome.broadcast.pk for outcome in outcomes if outcome.error_code in codes]
    return dict(
        BroadcastLog.objects.filter(broadcast_id__in=ids, kind=BroadcastLog.Kind.ATTEMPT, error_code__in=codes)
        .values_list("broadcast_id").annotate(n=Count("id")).values_list("broadcast_id", "n")
    )


def _server_side_failure(outcome: SendOutcome) -> bool:
    """A transient failure on Meta's side or on the way (HTTP 5xx, no answer): what trips the circuit."""
    status = outcome.result.http_status
    return not outcome.ok and not outcome.timed_out and outcome.category == TRANSIENT and (
        status is None or status >= 500
    )


def _reached_meta_before(sent: list[Broadcast]) -> list[tuple[Broadcast, str]]:
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


def transport_stop_sending(*, transport: Transport, reason: str) -> None:
    """Stop a transport and its running sessions with a clear reason, instead of failing every recipient."""
    stopped_now = transport_stop(transport_id=transport.pk, reason=reason)
    sessions = sessions_stop(transport_id=transport.pk, reason=reason)
    if stopped_now:
        metrics.transport_stop_observe(transport_id=transport.pk)
        logger.error(
            "transport stopped",
            extra={"transport": transport.pk, "transport_name": transport.name, "app": transport.app_id,
                   "reason": reason, "sessions_stopped": sessions},
        )
