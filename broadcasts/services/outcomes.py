"""Recording a batch's answers as they arrive: statuses, retries or give-ups, one attempt log each, in bulk."""

import logging
import random
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services.optouts import optouts_from_errors
from broadcasts.services.pacing import (
    circuit_record,
    pace_throttled,
)
from broadcasts.services.retry import AUTH, THROTTLED, TRANSIENT, RetryDecision, retry_decide
from broadcasts.services.sessions import session_hold_for_template
from broadcasts.services.sweeper import reached_meta_before, sent_twice_record
from broadcasts.services.transitions import (
    SEND_OUTCOME,
    broadcast_move,
    broadcasts_save,
    broadcasts_sent_save,
    session_cancelled_leftovers_cancel,
)
from transports import engine
from transports.errors import HOLD_SESSION, NEXT_DAY
from transports.models import Transport
from transports.redaction import mask_phone, parameter_values, parameters_redacted
from whatsapp_gateway import metrics

logger = logging.getLogger("gateway.dispatch")
# Meta asks to wait at least 24 hours after its per-user marketing limit before trying that recipient again.
NEXT_DAY_SECONDS = 24 * 3600
NO_DECISION = RetryDecision(retry=False)


class SendOutcome(engine.SendResult):
    """One attempt's result for one broadcast: the engine's SendResult and the broadcast it answers."""

    def __init__(self, *, broadcast: Broadcast, result: engine.SendResult):
        super().__init__(**vars(result))
        self.broadcast = broadcast

    def log_row(self, *, session: Session, attempt: int, task_id: str) -> BroadcastLog:
        request, response_body = self.request, self.response_body[:2000]
        if not settings.LOG_MESSAGE_PARAMETERS:
            # Template parameters are personal data (names, order numbers, codes): the log keeps their shape only.
            meta = (session.message or {}).get("meta") or {}
            values = parameter_values(
                self.broadcast.params, *(meta.get(key) for key in ("parameters", "header", "buttons", "components"))
            )
            request, response_body = parameters_redacted(request, values), parameters_redacted(response_body, values)
        return BroadcastLog(
            broadcast=self.broadcast, session=session, kind=BroadcastLog.Kind.ATTEMPT, status=self.broadcast.status,
            attempt=attempt, task_id=task_id[:64], request=request, response_status=self.http_status,
            response_body=response_body, error_code=self.error_code, error_title=self.error_title[:255],
            duration_ms=self.duration_ms, message=self.describe()[:1000],
            requested_at=_datetime(self.requested_at),
        )


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
    retry_window = transport.retry_window
    first_attempts = _first_attempts(outcomes, max_attempts=max_attempts) if retry_window else {}
    tally = {"sent": 0, "retrying": 0, "failed": 0, "held": 0, "unknown": 0}
    for outcome in outcomes:
        broadcast, decision = outcome.broadcast, NO_DECISION
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
        elif outcome.not_sent:
            # Its slot passed and no new one came before the batch's horizon: nothing left, nothing spent.
            _requeue_uncounted(broadcast)
            tally["held"] += 1
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
                    retry_after=retry_after, first_attempt_at=first_attempts.get(broadcast.pk),
                    retry_window=retry_window, now=now,
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
        if outcome.not_sent:
            continue  # not an attempt: no log
        logs.append(outcome.log_row(session=session, attempt=broadcast.attempts, task_id=task_id))
        if not outcome.ok and broadcast.status == Broadcast.Status.FAILED and decision.reason:
            logs[-1].message = f"{logs[-1].message} - {decision.reason}"[:1000]

    sent = [b for b in changed if b.status == Broadcast.Status.SENT]
    with transaction.atomic():
        sent_twice_record(reached_meta_before(sent))
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
    metrics.send_outcomes_observe(transport_id=transport.pk, outcomes=[o for o in outcomes if not o.not_sent])
    logger.info(
        "batch recorded",
        extra={"session": str(session.pk), "transport": transport.pk, "batch": len(outcomes), **tally,
               "throttled": throttled, "auth_failure": bool(auth_failure)},
    )
    if throttled:
        pace_throttled(transport_id=transport.pk, rate=transport.rate_limit, seconds=settings.THROTTLE_HOLD_SECONDS)
    return auth_failure


def _datetime(unix: float | None) -> datetime | None:
    return None if unix is None else datetime.fromtimestamp(unix, tz=UTC)


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


def _first_attempts(outcomes: list[SendOutcome], *, max_attempts: int) -> dict[int, datetime]:
    """When each failed broadcast that has used its attempts was first attempted (its first ATTEMPT log)."""
    ids = [
        o.broadcast.pk for o in outcomes
        if not o.ok and o.category == TRANSIENT and o.broadcast.attempts >= max_attempts
    ]
    if not ids:
        return {}
    return dict(
        BroadcastLog.objects.filter(broadcast_id__in=ids, kind=BroadcastLog.Kind.ATTEMPT)
        .values_list("broadcast_id").annotate(first=Min("created_at")).values_list("broadcast_id", "first")
    )


def _server_side_failure(outcome: SendOutcome) -> bool:
    """A transient failure on Meta's side or on the way (HTTP 5xx, no answer): what trips the circuit."""
    status = outcome.http_status
    return not outcome.ok and not outcome.timed_out and outcome.category == TRANSIENT and (
        status is None or status >= 500
    )


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


