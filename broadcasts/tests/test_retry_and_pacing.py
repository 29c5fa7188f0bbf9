"""The retry policy and the transport's pace, without a worker: spread, limits, the throttled rate."""

from collections import Counter

import pytest
from django.utils import timezone

from broadcasts.models import TransportPace
from broadcasts.services import pacing
from broadcasts.services.retry import PERMANENT, THROTTLED, TRANSIENT, retry_decide
from transports.testing import make_transport


def _delays(count: int = 200, **kwargs) -> list[float]:
    now = timezone.now()
    return [(retry_decide(**kwargs).not_before - now).total_seconds() for _ in range(count)]


def test_retries_of_a_storm_are_spread_past_the_hint_not_on_it(settings):
    settings.RETRY_BACKOFF_BASE, settings.RETRY_BACKOFF_MAX = 2.0, 300.0
    delays = _delays(category=TRANSIENT, attempts=1, max_attempts=3, retry_after=5)
    assert min(delays) >= 4.99  # the hint is a floor
    buckets = Counter(int(delay * 100) for delay in delays)  # 10 ms buckets: 200 of them over 2 s
    assert max(buckets.values()) <= 8, buckets.most_common(3)  # all 200 on the hint's 5.000 s before
    assert max(delays) - min(delays) > 1.5  # jitter over the whole backoff, not a sliver of it


def test_transient_failures_stop_at_max_attempts_and_permanent_ones_at_once():
    assert retry_decide(category=TRANSIENT, attempts=2, max_attempts=3).retry
    assert not retry_decide(category=TRANSIENT, attempts=3, max_attempts=3).retry
    assert not retry_decide(category=PERMANENT, attempts=1, max_attempts=3).retry


def test_throttling_is_always_retried_whatever_the_attempts():
    decision = retry_decide(category=THROTTLED, attempts=50, max_attempts=3, retry_after=1)
    assert decision.retry and decision.not_before > timezone.now()


@pytest.fixture
def pace_transport(app):

    return make_transport(app=app, name="paced")


def test_a_throttle_halves_the_rate_once_per_second_and_it_grows_back(pace_transport, clock):
    rate = 80.0
    assert pacing.pace_throttled(transport_id=pace_transport.pk, rate=rate, seconds=1) == 40
    # More throttled answers of the same burst: one signal, not one halving each.
    assert pacing.pace_throttled(transport_id=pace_transport.pk, rate=rate, seconds=1) == 40
    clock[0] += 1.0  # a second later: grown by 5% of 80 to 44, then halved
    assert pacing.pace_throttled(transport_id=pace_transport.pk, rate=rate, seconds=1) == pytest.approx(22)
    clock[0] += 5.0  # five quiet seconds: +4 msg/s each
    first, used = pacing.pace_reserve(transport_id=pace_transport.pk, rate=rate, count=10)
    assert used == pytest.approx(42.0)
    clock[0] += 20.0
    first, used = pacing.pace_reserve(transport_id=pace_transport.pk, rate=rate, count=10)
    assert used == rate and TransportPace.objects.get(pk=pace_transport.pk).effective_rate is None


def test_the_rate_never_drops_below_its_floor(pace_transport, clock):
    for _ in range(20):
        clock[0] += 1.0
        used = pacing.pace_throttled(transport_id=pace_transport.pk, rate=80, seconds=0)
    assert used == pytest.approx(80 * pacing.RATE_FLOOR, abs=0.01)


def test_slots_are_spaced_at_the_rate_in_use(pace_transport, clock):
    pacing.pace_throttled(transport_id=pace_transport.pk, rate=80, seconds=0)
    first, used = pacing.pace_reserve(transport_id=pace_transport.pk, rate=80, count=40)
    second, _ = pacing.pace_reserve(transport_id=pace_transport.pk, rate=80, count=1)
    assert second - first == pytest.approx(40 / used) and used == 40
