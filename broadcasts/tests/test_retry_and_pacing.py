"""The retry policy and the transport's pace, without a worker: spread, limits, the throttled rate."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from broadcasts.models import Broadcast, BroadcastLog, TransportPace
from broadcasts.services import pacing, retry
from broadcasts.services.dispatch import batch_claim, batch_limit
from broadcasts.services.outcomes import SendOutcome, outcomes_record
from broadcasts.services.retry import AUTH, PERMANENT, THROTTLED, TRANSIENT, retry_decide
from broadcasts.testing import make_session
from transports import defaults
from transports.engine import SendResult
from transports.models import Transport
from transports.providers import failure_classify
from transports.testing import make_transport

# The catalogue's retry-after hint for 131000 (5 s): a floor under every delay.
HINT_131000 = failure_classify({"preset": "whatsapp_cloud"}, http_status=500, code="131000")[1]


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


def _retry_times(*, max_attempts: int = defaults.MAX_ATTEMPTS, window: float = defaults.RETRY_WINDOW) -> list[float]:
    """Seconds after the first attempt of each retry of a message that fails with 131000 every time."""
    first = timezone.now()
    now, attempts, times = first, 1, []
    while True:
        decision = retry_decide(
            category=TRANSIENT, attempts=attempts, max_attempts=max_attempts, retry_after=HINT_131000,
            first_attempt_at=first, retry_window=window, now=now,
        )
        if not decision.retry:
            return times
        now, attempts = decision.not_before, attempts + 1
        times.append((now - first).total_seconds())


def test_with_the_presets_defaults_transient_retries_span_the_15_minute_window_jittered(settings):
    settings.RETRY_BACKOFF_BASE, settings.RETRY_BACKOFF_MAX = 2.0, 300.0  # the shipped settings
    schedules = [_retry_times() for _ in range(20)]
    for times in schedules:
        # The last failure inside the window is retried, the first one after it gives up.
        assert times[-1] >= defaults.RETRY_WINDOW, times
        assert times[-2] < defaults.RETRY_WINDOW <= times[-1] <= defaults.RETRY_WINDOW + 300 + HINT_131000
        assert len(times) > defaults.MAX_ATTEMPTS  # past maxAttempts, because the window was not over
        delays = [b - a for a, b in zip([0.0, *times], times, strict=False)]
        assert min(delays) >= HINT_131000 and max(delays) <= 300 + HINT_131000
    assert len({round(times[2], 3) for times in schedules}) == 20  # jittered: no two messages on the same time


def test_without_a_window_max_attempts_alone_decides():
    assert len(_retry_times(window=0)) == defaults.MAX_ATTEMPTS - 1


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
@pytest.mark.parametrize(("first_attempt_minutes_ago", "retried"), [(14, True), (16, False)])
def test_a_failure_inside_the_retry_window_is_retried_past_max_attempts_and_after_it_fails_saying_why(
    app, sim_transport, first_attempt_minutes_ago, retried
):
    transport = Transport.objects.get(pk=sim_transport["id"])  # the preset: maxAttempts 3, retryWindow 900
    session = make_session(app, transport.pk, [("QUEUED", "TRANSIENT", 3)])
    (broadcast,) = batch_claim(session=session, limit=1)  # its 4th attempt, one past maxAttempts
    first = BroadcastLog.objects.create(broadcast=broadcast, session=session, kind="ATTEMPT", attempt=1)
    BroadcastLog.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(minutes=first_attempt_minutes_ago)
    )
    failure = SendResult(key=broadcast.pk, ok=False, http_status=500, provider_message_id=None, error_code="131000",
                         error_title="Something went wrong", category="TRANSIENT", retry_after=HINT_131000)
    outcomes_record(session=session, transport=transport, task_id="t",
                    outcomes=[SendOutcome(broadcast=broadcast, result=failure)])

    broadcast.refresh_from_db()
    log = BroadcastLog.objects.filter(broadcast=broadcast, kind="ATTEMPT").latest("id")
    if retried:
        assert broadcast.status == Broadcast.Status.QUEUED and broadcast.next_attempt_at > timezone.now()
        assert "retry window" not in log.message
    else:
        assert broadcast.status == Broadcast.Status.FAILED and broadcast.error_code == "131000"
        assert "4 attempts (maxAttempts 3) and the retry window (900 s from the first attempt) is over" in log.message


def test_new_slots_for_late_requests_stop_at_the_horizon(pace_transport, clock):
    first, used, granted = pacing.pace_reserve_until(
        transport_id=pace_transport.pk, rate=10, count=50, until=clock[0] + 2.0
    )
    assert (first, used, granted) == (clock[0], 10, 21)  # slots at +0.0 … +2.0 s
    assert pacing.pace_reserve_until(transport_id=pace_transport.pk, rate=10, count=5, until=clock[0] + 2.0)[2] == 0
    assert pacing.pace_backlog(transport_id=pace_transport.pk) == pytest.approx(2.1)  # nothing reserved past it


def test_a_request_that_never_left_goes_back_to_the_queue_without_an_attempt_or_a_log(app, sim_transport):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    (broadcast,) = batch_claim(session=session, limit=1)
    unsent = SendResult(key=broadcast.pk, ok=False, http_status=None, provider_message_id=None,
                        error_title="Not sent", category="THROTTLED", not_sent=True)
    outcomes_record(session=session, transport=transport, task_id="t",
                    outcomes=[SendOutcome(broadcast=broadcast, result=unsent)])
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.attempts, broadcast.next_attempt_at) == ("QUEUED", 0, None)
    assert not BroadcastLog.objects.filter(broadcast=broadcast).exists()
    assert TransportPace.objects.filter(transport=transport, effective_rate__isnull=False).count() == 0  # no throttle
