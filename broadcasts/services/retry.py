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


def retry_decide(*, category: str, attempts: int, max_attempts: int, retry_after: float | None = None) -> RetryDecision:
    """Retry transient failures up to max_attempts and throttled ones always, with exponential backoff.

    Throttling is the sender going too fast, never the recipient's fault: it is retried without
    limit (the caller does not count the attempt). Permanent failures never retry; auth failures
    are handled by stopping the transport, so they are never a retry here. The delay is the
    error's retry-after hint (a floor) plus full jitter over the backoff, so a storm of failures
    comes back spread out, not all on the hint's second.
    """
    if category not in RETRYABLE or (category != THROTTLED and attempts >= max_attempts):
        return RetryDecision(retry=False)
    ceiling = min(settings.RETRY_BACKOFF_MAX, settings.RETRY_BACKOFF_BASE * 2 ** (max(attempts, 1) - 1))
    delay = (retry_after or 0.0) + random.uniform(0, ceiling)
    return RetryDecision(retry=True, not_before=timezone.now() + timedelta(seconds=delay))
