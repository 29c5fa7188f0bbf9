"""The one retry policy: what to do after a failed attempt, keyed on the error's category."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

TRANSIENT = "TRANSIENT"
THROTTLED = "THROTTLED"
PERMANENT = "PERMANENT"
AUTH = "AUTH"
RETRYABLE = {TRANSIENT, THROTTLED}


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    not_before: datetime | None = None


def retry_decide(*, category: str, attempts: int, max_attempts: int, retry_after: float | None = None) -> RetryDecision:
    """Retry transient and throttled failures with exponential backoff and full jitter, up to max_attempts.

    Permanent failures never retry; auth failures are not the recipient's fault and are
    handled by stopping the transport, so they are never counted as a retry here.
    """
    if category not in RETRYABLE or attempts >= max_attempts:
        return RetryDecision(retry=False)
    ceiling = min(settings.RETRY_BACKOFF_MAX, settings.RETRY_BACKOFF_BASE * 2 ** (attempts - 1))
    # Full jitter spreads a storm of retries instead of synchronizing them on the next second.
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after:
        delay = max(delay, retry_after)
    return RetryDecision(retry=True, not_before=timezone.now() + timedelta(seconds=delay))
