"""The one retry policy: what to do after a failed attempt, keyed on the error's category."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from transports.errors import ErrorCategory

TRANSIENT = ErrorCategory.TRANSIENT
THROTTLED = ErrorCategory.THROTTLED
PERMANENT = ErrorCategory.PERMANENT
AUTH = ErrorCategory.AUTH
RETRYABLE = {TRANSIENT, THROTTLED}


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    not_before: datetime | None = None
    reason: str = ""  # why a retryable failure is not retried any more, for its attempt log


def retry_decide(
    *, category: str, attempts: int, max_attempts: int, retry_after: float | None = None,
    first_attempt_at: datetime | None = None, retry_window: float = 0.0, now: datetime | None = None,
) -> RetryDecision:
    """Retry transient failures while attempts or the retry window last, throttled ones always, with backoff.

    A transient failure gives up only once the message has used `max_attempts` *and* `retry_window`
    seconds have passed since its first attempt (`first_attempt_at`, default now: this was the
    first), as Cloud Tasks' max_attempts with max_retry_duration: an outage shorter than the window
    fails nothing, however many attempts it takes. Throttling is the sender going too fast, never
    the recipient's fault: it is retried without limit (the caller does not count the attempt).
    Permanent failures never retry; auth failures are handled by stopping the transport, so they
    are never a retry here. The delay is the error's retry-after hint (a floor) plus full jitter
    over the backoff, so a storm of failures comes back spread out, not all on the hint's second.
    """
    now = now or timezone.now()
    if category not in RETRYABLE:
        return RetryDecision(retry=False)
    if category != THROTTLED and attempts >= max_attempts:
        elapsed = (now - (first_attempt_at or now)).total_seconds()
        if elapsed >= retry_window:
            return RetryDecision(retry=False, reason=_gave_up(attempts, max_attempts, retry_window))
    ceiling = min(settings.RETRY_BACKOFF_MAX, settings.RETRY_BACKOFF_BASE * 2 ** (max(attempts, 1) - 1))
    delay = (retry_after or 0.0) + random.uniform(0, ceiling)
    return RetryDecision(retry=True, not_before=now + timedelta(seconds=delay))


def _gave_up(attempts: int, max_attempts: int, retry_window: float) -> str:
    if not retry_window:
        return f"not retried: {attempts} attempts, maxAttempts is {max_attempts}"
    return (
        f"not retried: {attempts} attempts (maxAttempts {max_attempts}) and the retry window "
        f"({retry_window:g} s from the first attempt) is over"
    )
