"""A transport's rate limit, held across all workers and sessions by one row per transport.

Each batch reserves `count` consecutive slots of 1/rate seconds (a GCRA-style schedule): one
short row-locked UPDATE per batch, whatever the number of workers. When Meta throttles, the
rate used is lowered (additive increase, multiplicative decrease), so a limit below the
transport's own is found instead of being hit again and again.

The same row is the transport's circuit breaker: after CIRCUIT_FAILURES server-side failures
in a row (HTTP 5xx or no answer, no success between them) nothing is sent for a while, then
one message probes; a success closes the circuit, a failure opens it again for twice as long.
An outage then costs a handful of requests instead of every message's attempts.
"""

import math
import time
from dataclasses import dataclass

from django.conf import settings
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
    first, used, _ = pace_reserve_until(transport_id=transport_id, rate=rate, count=count, until=None)
    return first, used


def pace_reserve_until(
    *, transport_id: int, rate: float, count: int, until: float | None
) -> tuple[float, float, int]:
    """Reserve up to `count` slots, none later than `until` (Unix time; None: no limit): (first, rate, how many)."""
    now = time.time()
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        effective = _effective_rate(pace, rate=rate, now=now)
        used = effective or rate
        first = max(now, pace.next_slot)
        granted = count if until is None else max(0, min(count, math.floor((until - first) * used) + 1))
        pace.next_slot = first + granted / used
        pace.effective_rate, pace.rate_changed_at = effective, now
        pace.save(update_fields=["next_slot", "effective_rate", "rate_changed_at"])
    return first, used, granted


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


@dataclass(frozen=True)
class Circuit:
    open_until: float = 0.0  # Unix time; 0 while the circuit is closed
    probing: bool = False  # the wait is over but no success came yet: one message may try

    @property
    def tripped(self) -> bool:
        return self.open_until > 0

    def wait(self, now: float) -> float:
        return max(0.0, self.open_until - now)


def _circuit(failures_in_row: int, open_until: float, now: float) -> Circuit:
    if failures_in_row < settings.CIRCUIT_FAILURES:
        return Circuit()
    return Circuit(open_until=open_until, probing=open_until <= now)


def circuit_state(*, transport_id: int) -> Circuit:
    row = TransportPace.objects.filter(transport_id=transport_id).values_list(
        "failures_in_row", "circuit_open_until"
    ).first()
    return _circuit(*row, time.time()) if row else Circuit()


def circuit_probe_take(*, transport_id: int) -> bool:
    """Once the wait is over, one worker may send one message; the others wait for its answer."""
    now = time.time()
    return bool(
        TransportPace.objects.filter(
            transport_id=transport_id, failures_in_row__gte=settings.CIRCUIT_FAILURES, circuit_open_until__lte=now
        ).update(circuit_open_until=now + settings.CIRCUIT_PROBE_AFTER)
    )


def circuit_record(*, transport_id: int, failures: int, successes: int, probe: bool = False) -> Circuit:
    """Feed a batch's answers (server-side failures, successes); returns the circuit as it is now.

    A success closes it. Failures open it at the threshold, and again after a failed probe, each
    time for twice as long; failures of batches sent before it opened change nothing while it is open.
    """
    now = time.time()
    if not failures and not successes:
        return circuit_state(transport_id=transport_id)
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        if successes:
            pace.failures_in_row, pace.circuit_open_until, pace.circuit_trips = 0, 0.0, 0
        else:
            pace.failures_in_row += failures
            if pace.failures_in_row >= settings.CIRCUIT_FAILURES and (probe or pace.circuit_open_until <= now):
                wait = min(settings.CIRCUIT_PROBE_MAX, settings.CIRCUIT_PROBE_AFTER * 2 ** pace.circuit_trips)
                pace.circuit_open_until, pace.circuit_trips = now + wait, pace.circuit_trips + 1
        pace.save(update_fields=["failures_in_row", "circuit_open_until", "circuit_trips"])
    return _circuit(pace.failures_in_row, pace.circuit_open_until, now)


def circuits_tripped() -> dict[int, Circuit]:
    """Transport id → its circuit, for the transports whose circuit is open or probing."""
    now = time.time()
    rows = TransportPace.objects.filter(failures_in_row__gte=settings.CIRCUIT_FAILURES).values_list(
        "transport_id", "failures_in_row", "circuit_open_until"
    )
    return {transport_id: _circuit(failures, until, now) for transport_id, failures, until in rows}
