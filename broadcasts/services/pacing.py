"""A transport's rate limit, held across all workers and sessions by one row per transport.

Each batch reserves `count` consecutive slots of 1/rate seconds (a GCRA-style schedule): one
short row-locked UPDATE per batch, whatever the number of workers.
"""

import time

from django.db import transaction

from broadcasts.models import TransportPace


def pace_reserve(*, transport_id: int, rate: float, count: int) -> float:
    """Reserve `count` sending slots; returns the Unix time of the first one (slot i is first + i/rate)."""
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        first = max(time.time(), pace.next_slot)
        pace.next_slot = first + count / rate
        pace.save(update_fields=["next_slot"])
    return first


def pace_hold(*, transport_id: int, seconds: float) -> None:
    """Push the transport's next slot back, e.g. after Meta answered that throughput was exceeded."""
    with transaction.atomic():
        pace, _ = TransportPace.objects.select_for_update().get_or_create(transport_id=transport_id)
        pace.next_slot = max(pace.next_slot, time.time()) + seconds
        pace.save(update_fields=["next_slot"])


def pace_backlog(*, transport_id: int) -> float:
    """Seconds of sending already reserved on the transport ahead of now."""
    next_slot = TransportPace.objects.filter(transport_id=transport_id).values_list("next_slot", flat=True).first()
    return max(0.0, (next_slot or 0.0) - time.time())
