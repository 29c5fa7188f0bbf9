"""The retry policy and the transport's pace, without a worker: spread, limits, the throttled rate."""

from collections import Counter

import pytest
from django.utils import timezone

from broadcasts.models import TransportPace
from broadcasts.services import pacing, retry
from broadcasts.services.dispatch import batch_limit
from broadcasts.services.retry import AUTH, PERMANENT, THROTTLED, TRANSIENT, retry_decide
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


def test_the_backoff_ceiling_doubles_with_each_attempt_up_to_its_maximum(settings, monkeypatch):
    settings.RETRY_BACKOFF_BASE, settings.RETRY_BACKOFF_MAX = 2.0, 10.0
    monkeypatch.setattr(retry.random, "uniform", lambda low, high: high)  # the longest wait the jitter allows
    now = timezone.now()
    waits = [
        round((retry_decide(category=TRANSIENT, attempts=n, max_attempts=9, retry_after=1).not_before - now)
              .total_seconds())
        for n in (1, 2, 3, 4, 5)
    ]
    assert waits == [1 + 2, 1 + 4, 1 + 8, 1 + 10, 1 + 10]  # the hint, plus 2·2^(n-1) capped at RETRY_BACKOFF_MAX


def test_an_auth_failure_is_never_a_retry_the_transport_stops_instead():
    assert retry_decide(category=AUTH, attempts=1, max_attempts=3) == retry.RetryDecision(retry=False)


def test_reserved_slots_follow_each_other_at_the_rate_and_never_start_in_the_past(pace_transport, clock):
    assert pacing.pace_reserve(transport_id=pace_transport.pk, rate=10, count=5) == (clock[0], 10)
    assert pacing.pace_reserve(transport_id=pace_transport.pk, rate=10, count=1) == (clock[0] + 0.5, 10)
    clock[0] += 60.0  # idle for a minute: the next slot is now, not the one left behind
    assert pacing.pace_reserve(transport_id=pace_transport.pk, rate=10, count=1) == (clock[0], 10)
    assert pacing.pace_backlog(transport_id=pace_transport.pk) == pytest.approx(0.1)


@pytest.mark.parametrize(("config", "limit"), [
    ({"rateLimit": 80}, 80),  # one second of the transport's sending (PACE_HORIZON_SECONDS)
    ({"rateLimit": 500}, 100),  # never more than BATCH_SIZE
    ({"rateLimit": 500, "batchSize": 300}, 300),  # or the transport's own batch size
    ({"rateLimit": 0.5}, 1),  # a slow transport still sends one at a time
])
def test_a_batch_is_at_most_a_horizon_of_the_transports_sending(settings, config, limit):
    settings.BATCH_SIZE, settings.PACE_HORIZON_SECONDS = 100, 1.0
    assert batch_limit(make_transport(**config)) == limit
