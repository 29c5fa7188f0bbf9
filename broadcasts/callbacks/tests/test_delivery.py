"""Delivery: signed POSTs in order, every attempt logged, backoff with jitter, give up after 3 days, redeliver."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from broadcasts.callbacks.models import Callback, CallbackAttempt, CallbackDelivery, CallbackEvent
from broadcasts.callbacks.services import delivery
from broadcasts.callbacks.services.delivery import callback_deliver, callbacks_due, deliveries_redeliver, retry_delay
from broadcasts.callbacks.services.endpoints import callback_create, callback_rotate, callback_update


def verified(request, secret: str) -> bool:
    parts = [part.split("=", 1) for part in request["headers"]["X-Gateway-Signature"].split(",")]
    t = dict(parts)["t"]
    expected = hmac.new(secret.encode(), f"{t}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, value in parts)


@pytest.fixture
def endpoint(app, receiver):
    return callback_create(app=app, url=receiver.url)


def record(app, n: int, type_="broadcast.delivered") -> list[CallbackEvent]:
    """n events with a delivery to each of the app's endpoints, as the outbox stores them."""
    now = timezone.now()
    events = [
        CallbackEvent(app=app, type=type_, created_at=now + timedelta(microseconds=i), sequence=i + 1,
                      address="15550100001", reference="order-1042", data={"status": "DELIVERED"})
        for i in range(n)
    ]
    CallbackEvent.objects.bulk_create(events)
    CallbackDelivery.objects.bulk_create(
        CallbackDelivery(event=event, callback=callback) for event in events for callback in app.callbacks.all()
    )
    return events


def test_pending_events_arrive_signed_in_order_and_are_marked_delivered(app, endpoint, receiver):
    callback, secret = endpoint
    events = record(app, 3)
    assert callback_deliver(callback_id=callback.pk) is None  # nothing left
    assert [e["id"] for e in receiver.events()] == [str(e.pk) for e in events]
    assert [e["sequence"] for e in receiver.events()] == [1, 2, 3]
    assert all(verified(request, secret) for request in receiver.requests)
    first = receiver.events()[0]
    assert set(first) == {"id", "type", "created_at", "app", "session", "broadcast", "address", "reference",
                          "sequence", "data"}
    assert (first["reference"], first["app"]) == ("order-1042", app.pk)
    assert set(CallbackDelivery.objects.values_list("state", flat=True)) == {"DELIVERED"}
    assert CallbackAttempt.objects.filter(callback=callback, ok=True, status_code=200).count() == 3
    assert receiver.requests[0]["headers"]["Content-Type"] == "application/json"


def test_a_batching_endpoint_gets_up_to_n_events_per_post(app, endpoint, receiver):
    callback, _ = endpoint
    callback_update(callback=callback, batch_size=4)
    record(app, 10)
    callback_deliver(callback_id=callback.pk)
    assert [len(json.loads(body)["events"]) for body in receiver.bodies()] == [4, 4, 2]
    assert len(receiver.events()) == 10


def test_a_receiver_that_is_down_holds_every_event_behind_a_backoff_and_loses_none(app, endpoint, receiver, settings):
    settings.CALLBACK_RETRY_BASE = 10.0
    callback, _ = endpoint
    receiver.down()
    events = record(app, 3)
    before = timezone.now()
    countdown = callback_deliver(callback_id=callback.pk)
    callback.refresh_from_db()
    assert countdown is not None and 0 <= countdown <= 10  # a retry this soon is the task's own, not the beat's
    assert callback.failures == 1 and callback.failing_since is not None
    assert before <= callback.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    first = CallbackDelivery.objects.get(event=events[0])
    assert (first.state, first.attempts, first.last_status_code) == ("PENDING", 1, None)
    assert "ConnectionError" in first.last_error
    assert CallbackDelivery.objects.filter(attempts=0).count() == 2  # the rest wait behind the first, in order
    attempt = CallbackAttempt.objects.get()
    assert not attempt.ok and "receivers-own" not in attempt.error

    receiver.up()
    callback.next_attempt_at = timezone.now() + timedelta(seconds=60)
    callback.save()
    assert callback_deliver(callback_id=callback.pk) is None and receiver.requests == []  # still backing off
    assert callbacks_due() == []
    Callback.objects.filter(pk=callback.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert callbacks_due() == [callback.pk]
    callback_deliver(callback_id=callback.pk)
    assert [e["id"] for e in receiver.events()] == [str(e.pk) for e in events]
    callback.refresh_from_db()
    assert (callback.failures, callback.failing_since, callback.next_attempt_at) == (0, None, None)


def test_a_non_2xx_answer_is_a_failure_with_its_status_and_a_truncated_redacted_excerpt(app, endpoint, receiver):
    callback, secret = endpoint
    receiver.status, receiver.text = 500, f"boom {secret} for 15550100001 " + "x" * 2000
    record(app, 1)
    callback_deliver(callback_id=callback.pk)
    row = CallbackDelivery.objects.get()
    assert (row.state, row.last_status_code, row.last_error) == ("PENDING", 500, "HTTP 500")
    assert len(row.last_response_excerpt) <= 500 and secret not in row.last_response_excerpt
    assert "[REDACTED]" in row.last_response_excerpt
    assert "15550100001" not in row.last_response_excerpt  # the batch's numbers are masked


def test_the_backoff_is_exponential_with_full_jitter_and_capped(settings):
    settings.CALLBACK_RETRY_BASE = 10.0
    for failures, ceiling in ((1, 10), (2, 20), (5, 160), (40, 3600)):
        delays = [retry_delay(failures) for _ in range(300)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8 and min(delays) < ceiling * 0.2  # spread over the whole range


def test_an_endpoint_failing_for_three_days_is_disabled_with_the_reason_and_on_again_sends_what_it_missed(
    app, endpoint, receiver
):
    callback, _ = endpoint
    receiver.down()
    events = record(app, 2)
    Callback.objects.filter(pk=callback.pk).update(failures=40, failing_since=timezone.now() - timedelta(days=3))
    callback_deliver(callback_id=callback.pk)
    callback.refresh_from_db()
    assert callback.is_active is False and callback.disabled_at is not None
    assert "Disabled after 41 failed deliveries in 72 hours" in callback.disabled_reason
    assert set(CallbackDelivery.objects.values_list("state", flat=True)) == {"FAILED"}
    assert callbacks_due() == []

    receiver.up()
    callback_update(callback=callback, is_active=True)
    callback.refresh_from_db()
    assert (callback.disabled_reason, callback.failures) == ("", 0)
    callback_deliver(callback_id=callback.pk)
    assert [e["id"] for e in receiver.events()] == [str(e.pk) for e in events]


def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one(app, endpoint, receiver):
    callback, old = endpoint
    callback, new, expires = callback_rotate(callback=callback)
    record(app, 1)
    callback_deliver(callback_id=callback.pk)
    [request] = receiver.requests
    assert request["headers"]["X-Gateway-Signature"].count("v1=") == 2
    assert verified(request, new) and verified(request, old)

    Callback.objects.filter(pk=callback.pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    record(app, 1)
    callback_deliver(callback_id=callback.pk)
    latest = receiver.requests[-1]
    assert latest["headers"]["X-Gateway-Signature"].count("v1=") == 1
    assert verified(latest, new) and not verified(latest, old)


def test_a_url_the_guard_refuses_at_send_time_sends_nothing(app, endpoint, receiver, settings):
    callback, _ = endpoint
    record(app, 1)
    settings.TRANSPORT_ALLOWED_HOSTS = []  # loopback no longer allowed
    callback_deliver(callback_id=callback.pk)
    assert receiver.requests == []
    assert "UnsafeURLError" in CallbackDelivery.objects.get().last_error


def test_a_worker_holding_the_lease_keeps_others_out(app, endpoint, receiver):
    callback, _ = endpoint
    record(app, 1)
    Callback.objects.filter(pk=callback.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    assert callback_deliver(callback_id=callback.pk) is None and receiver.requests == []


def test_redeliver_sends_a_delivered_event_again(app, endpoint, receiver, inline_delivery):
    callback, _ = endpoint
    [event] = record(app, 1)
    callback_deliver(callback_id=callback.pk)
    assert deliveries_redeliver(deliveries=CallbackDelivery.objects.filter(event=event)) == 1
    assert inline_delivery == [callback.pk]
    assert [e["id"] for e in receiver.events()] == [str(event.pk)] * 2
    assert CallbackDelivery.objects.get().attempts == 2


def test_a_task_stops_after_its_budget_and_says_more_is_due(app, endpoint, receiver, monkeypatch):
    callback, _ = endpoint
    record(app, 3)
    assert callback_deliver(callback_id=callback.pk, budget=-1) == 0
    assert len(receiver.requests) == 1
    monkeypatch.setattr(delivery, "TASK_BUDGET_SECONDS", 30.0)
    assert callback_deliver(callback_id=callback.pk) is None and len(receiver.requests) == 3


def test_delivered_events_past_the_retention_are_deleted_and_pending_ones_kept(app, endpoint, settings):
    from broadcasts.callbacks.services.delivery import callback_events_purge

    settings.RETENTION_LOG_DAYS = 7
    old_delivered, old_pending, recent = record(app, 3)
    CallbackEvent.objects.filter(pk__in=[old_delivered.pk, old_pending.pk]).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    CallbackDelivery.objects.filter(event__in=[old_delivered, recent]).update(state="DELIVERED")
    assert callback_events_purge() == 1
    assert set(CallbackEvent.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
    settings.RETENTION_LOG_DAYS = 0  # kept forever
    CallbackDelivery.objects.update(state="DELIVERED")
    assert callback_events_purge() == 0 and CallbackEvent.objects.count() == 2
