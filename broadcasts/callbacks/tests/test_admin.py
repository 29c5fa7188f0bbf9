"""The operators' console: create (secret shown once), rotate, disable with a notice, deliveries and redeliver."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from broadcasts.callbacks.models import Callback, CallbackDelivery, CallbackEvent
from broadcasts.callbacks.services.endpoints import callback_create, callback_signing


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def endpoint(app, receiver):
    return callback_create(app=app, url=receiver.url)


def test_create_checks_the_url_and_shows_the_secret_once(admin_client, app, receiver):
    url = reverse("admin:callbacks_callback_add")
    refused = admin_client.post(url, {"app": app.pk, "url": "http://10.0.0.7/x", "is_active": "on", "batch_size": 1})
    assert refused.status_code == 200 and "not globally routable" in refused.content.decode()
    assert not Callback.objects.exists()
    answer = admin_client.post(url, {"app": app.pk, "url": receiver.url, "events": ["broadcast.failed"],
                                     "is_active": "on", "batch_size": 1}, follow=True)
    callback = Callback.objects.get()
    secret = callback_signing(callback=callback).current
    assert callback.events == ["broadcast.failed"]
    assert any(secret in message for message in shown(answer))
    page = admin_client.get(reverse("admin:callbacks_callback_change", args=[callback.pk])).content.decode()
    listing = admin_client.get(reverse("admin:callbacks_callback_changelist")).content.decode()
    assert secret not in page and secret not in listing


def test_rotate_disable_and_enable_actions(admin_client, endpoint):
    callback, old = endpoint
    url = reverse("admin:callbacks_callback_changelist")
    answer = admin_client.post(url, {"action": "rotate_secret", "_selected_action": [callback.pk]}, follow=True)
    new = callback_signing(callback=Callback.objects.get()).current
    assert new != old and any(new in message for message in shown(answer))
    admin_client.post(url, {"action": "disable", "_selected_action": [callback.pk]})
    callback.refresh_from_db()
    assert callback.is_active is False and "in the admin" in callback.disabled_reason
    notice = admin_client.get(url)
    assert any(f"Callback {callback.pk}" in message and "disabled" in message for message in shown(notice))
    admin_client.post(url, {"action": "enable", "_selected_action": [callback.pk]})
    callback.refresh_from_db()
    assert callback.is_active is True and callback.disabled_reason == ""


def test_the_ping_action_says_what_the_receiver_answered(admin_client, endpoint, receiver):
    callback, _ = endpoint
    url = reverse("admin:callbacks_callback_changelist")
    answer = admin_client.post(url, {"action": "send_ping", "_selected_action": [callback.pk]}, follow=True)
    assert any("answered 200" in message for message in shown(answer)) and len(receiver.requests) == 1


def test_deliveries_are_listed_filtered_and_redelivered(admin_client, app, endpoint, receiver, inline_delivery):
    callback, _ = endpoint
    event = CallbackEvent.objects.create(app=app, type="broadcast.read", reference="order-77", sequence=3,
                                         created_at=timezone.now())
    delivery = CallbackDelivery.objects.create(event=event, callback=callback, state="DELIVERED", attempts=1)
    url = reverse("admin:callbacks_callbackdelivery_changelist")
    page = admin_client.get(url, {"state__exact": "DELIVERED", "event__type": "broadcast.read"})
    assert page.status_code == 200 and "order-77" in page.content.decode()
    assert "order-77" not in admin_client.get(url, {"state__exact": "PENDING"}).content.decode()
    admin_client.post(url, {"action": "redeliver", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("DELIVERED", 2)
    assert [e["id"] for e in receiver.events()] == [str(event.pk)]
    detail = admin_client.get(reverse("admin:callbacks_callbackdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200


def test_attempts_are_listed(admin_client, endpoint):
    callback, _ = endpoint
    assert admin_client.get(reverse("admin:callbacks_callbackattempt_changelist")).status_code == 200
