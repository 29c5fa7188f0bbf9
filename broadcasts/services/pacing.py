"""A transport's rate limit, held across all workers and sessions by one row per transport.

Each batch reserves `count` consecutive slots of 1/rate seconds (a GCRA-style schedule): one
short row-locked UPDATE per batch, whatever the number of workers. When Meta throttles, the
rate used is lowered (additive increase, multiplicative decrease), so a limit below the
transport's own is found instead of being hit again and again.
"""

import time

from django.db import transaction

from broadcasts.models import TransportPace

RATE_DECREASE = 0.5  # each throttled batch halves the rate used
RATE_INCREASE_PER_SECOND = 0.05  # of the transport's own rate, regained each second without throttling
RATE_FLOOR = 0.05  # never below this share of the transport's rate, so sending always goes on
DECREASE_EVERY = 1.0  # seconds: the answers of one burst are one signal, not one per answer


def _effective_rate(pace: TransportPace, *, rate: float, now: float) -> float | None:
    """The rate to use now: the lowered one, grown back linearly since it was last set; None when recovered."""
    if pace.effective_rate is None:
        return None
    grown = pace.effective_rate + rate * RATE_INCREASE_PER_SECOND * max(0.0, now - pace.rate_changed_at)
    return None if grown >= rate else grown


def pace_reserve(*, transport_id: int, rate: float, count: int) -> tuple[float, float]:
    """Reserve `count` sending slots: (Unix time of the first one, the rate they are spaced at)."""
    now = time.time()
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        effective = _effective_rate(pace, rate=rate, now=now)
        used = effective or rate
        first = max(now, pace.next_slot)
        pace.next_slot = first + count / used
        pace.effective_rate, pace.rate_changed_at = effective, now
        pace.save(update_fields=["next_slot", "effective_rate", "rate_changed_at"])
    return first, used


def pace_throttled(*, transport_id: int, rate: float, seconds: float) -> float:
    """Meta said the transport goes too fast: push its next slot back and halve the rate used; returns it."""
    now = time.time()
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        current = _effective_rate(pace, rate=rate, now=now) or rate
        if now - pace.throttled_at >= DECREASE_EVERY:
            current, pace.throttled_at = max(rate * RATE_FLOOR, current * RATE_DECREASE), now
        pace.effective_rate, pace.rate_changed_at = current, now
        pace.next_slot = max(pace.next_slot, now) + seconds
        pace.save(update_fields=["next_slot", "effective_rate", "rate_changed_at", "throttled_at"])
    return current


def pace_effective_rates() -> dict[int, float]:
    """Transport id → the rate in use now, for transports whose rate is lowered by throttling."""
    now = time.time()
    rates = {}
    for pace in TransportPace.objects.filter(effective_rate__isnull=False).select_related("transport"):
        effective = _effective_rate(pace, rate=pace.transport.rate_limit, now=now)
        if effective is not None:
            rates[pace.transport_id] = effective
    return rates


def pace_backlog(*, transport_id: int) -> float:
    """Seconds of sending already reserved on the transport ahead of now."""
    next_slot = TransportPace.objects.filter(transport_id=transport_id).values_list("next_slot", flat=True).first()
    return max(0.0, (next_slot or 0.0) - time.time())
