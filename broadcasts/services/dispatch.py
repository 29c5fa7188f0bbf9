"""Dispatch: claim a batch of a session's broadcasts, send it at the transport's pace, record outcomes.

PostgreSQL is the source of truth: rows are claimed with a conditional UPDATE and committed
before any request leaves, so a redelivered task finds nothing to claim, and a row claimed by
a worker that died stays SENDING until the sweeper re-queues it after its lease.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.limit_wait import broadcasts_claim_within_limit, session_wait_for_limit
from broadcasts.services.outcomes import SendOutcome, outcomes_record
from broadcasts.services.pacing import (
    circuit_probe_take,
    circuit_state,
    pace_backlog,
    pace_reserve,
    pace_reserve_until,
)
from broadcasts.services.preflight import session_hold_for_health, session_message_to_send
from broadcasts.services.schedule import session_wait_for_window
from broadcasts.services.sweeper import LOST_AGAIN
from broadcasts.services.transitions import (
    broadcasts_claim,
    session_finish_if_done,
    session_start,
    sessions_stop,
)
from transports import engine
from transports.models import Transport
from transports.redaction import mask_phone
from transports.services import transport_stop
from whatsapp_gateway import metrics

logger = logging.getLogger("gateway.dispatch")
attempt_logger = logging.getLogger("gateway.sending")


@dataclass(frozen=True)
class DispatchResult:
    """What the task should do next: run again after `countdown` seconds, or stop (None)."""

    countdown: float | None


# What each send carries for the provider to echo back (WhatsApp: biz_opaque_callback_data).
REFERENCE_PREFIX = "wg-broadcast:"


def broadcast_reference(broadcast_id: int, reference: str = "") -> str:
    """`wg-broadcast:<id>`, then `:<the integrator's reference>` when the recipient has one (Meta echoes it all)."""
    return f"{REFERENCE_PREFIX}{broadcast_id}" + (f":{reference}" if reference else "")


def broadcast_id_of_reference(reference) -> int | None:
    """The broadcast id a provider echoed back, or None when the text is not one of ours."""
    if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
        return None
    digits = reference[len(REFERENCE_PREFIX):].split(":", 1)[0]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


def dispatch_batch(*, session_id, task_id: str = "") -> DispatchResult:
    session = Session.objects.select_related("transport").filter(pk=session_id).first()
    if session is None or session.status not in Session.RUNNING:
        return DispatchResult(countdown=None)
    transport = session.transport
    if transport.is_stopped or not transport.is_active:
        return DispatchResult(countdown=None)
    if session_wait_for_window(session=session, now=timezone.now()):
        # Outside its send window nothing is claimed; the due-sessions check wakes it when the window opens.
        return DispatchResult(countdown=None)
    if session_hold_for_health(session=session):
        return DispatchResult(countdown=None)  # Meta says its number or template cannot send: an operator resumes
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
    claimed, limit_until = broadcasts_claim_within_limit(
        session=session, limit=limit, claim=lambda count, rows: batch_claim(session=session, limit=count, within=rows)
    )
    if limit_until is not None:
        # Meta's messaging limit is used up: the rest wait QUEUED; the due-sessions check wakes the session then.
        session_wait_for_limit(session=session, until=limit_until)
        return DispatchResult(countdown=None)
    if not claimed:
        if _session_finish(session):
            return DispatchResult(countdown=None)
        return DispatchResult(countdown=_wait_for_next_retry(session))

    logger.info(
        "sending batch",
        extra={"session": str(session.pk), "transport": transport.pk, "batch": len(claimed)},
    )
    first_slot, rate = pace_reserve(transport_id=transport.pk, rate=transport.rate_limit, count=len(claimed))
    # New slots for late requests, none past half the claim's lease: those go back to the queue unsent.
    until = time.time() + settings.CLAIM_LEASE_SECONDS / 2

    def reserve(count: int) -> tuple[float, float, int]:
        return pace_reserve_until(transport_id=transport.pk, rate=transport.rate_limit, count=count, until=until)

    metrics.rate_limit_wait_observe(transport_id=transport.pk, seconds=first_slot - time.time())
    # Recorded as the answers arrive, in small bulk writes: a crash strands only what is on the wire.
    # A request that misses its slot (a stalled worker) takes a new one from the shared schedule.
    auth_failure = None
    for outcomes in send_claimed(
        transport=transport, message=session_message_to_send(session=session), broadcasts=claimed,
        first_slot=first_slot, rate=rate, reserve=reserve,
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


def batch_claim(*, session: Session, limit: int, within: Q | None = None) -> list[Broadcast]:
    """Take up to `limit` ready broadcasts of the session (those `within`, if given) for this worker, committed
    before sending.

    A row lost with a dying worker twice in a row is taken alone: if it is what kills workers,
    it takes no innocent batch-mates down with it again.
    """
    ready = Broadcast.objects.filter(session=session).exclude(next_attempt_at__gt=timezone.now())
    if within is not None:
        ready = ready.filter(within)  # e.g. the recipients Meta's messaging limit leaves room for (limit_wait.py)
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


def send_claimed(
    *, transport: Transport, message: dict, broadcasts: list[Broadcast], first_slot: float, rate: float | None = None,
    reserve: Callable[[int], tuple[float, float, int]] | None = None,
) -> Iterator[list[SendOutcome]]:
    """Send the batch with many requests in flight, yielding outcomes as answers arrive.

    Request i leaves at its rate-limit slot, `rate` (default: the transport's) apart; one that
    missed its slot takes a new one from `reserve(count)` → (first, rate, granted); one that gets none
    comes back `not_sent`. The caller records each chunk before the next, so a crash leaves only the
    requests still on the wire without an outcome.
    """
    interval = 1.0 / (rate or transport.rate_limit)
    outgoing = [
        engine.Outgoing(
            key=index, address=b.address, params=b.params, send_at=first_slot + index * interval,
            reference=broadcast_reference(b.pk, b.reference),
        )
        for index, b in enumerate(broadcasts)
    ]
    for results in engine.send_batch_stream(transport, message, outgoing, reserve=reserve):
        outcomes = [SendOutcome(broadcast=broadcasts[result.key], result=result) for result in results]
        for outcome in outcomes:
            attempt_logger.info("attempt %s", "sent" if outcome.ok else "failed", extra={
                "session": str(outcome.broadcast.session_id), "broadcast": outcome.broadcast.pk,
                "transport": transport.pk, "attempt": outcome.broadcast.attempts,
                "to": mask_phone(outcome.broadcast.address), "meta_code": outcome.error_code,
                "duration_ms": outcome.duration_ms, "category": outcome.category,
            })
        yield outcomes
