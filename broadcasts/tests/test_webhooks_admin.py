"""The operators' view of webhook events and inbound messages."""

import pytest
from django.urls import reverse
from django.utils import timezone

import broadcasts.webhooks.admin  # noqa: F401 — registers the models until broadcasts/admin.py imports it
from broadcasts.models import Broadcast, InboundMessage, Session, WebhookEvent
from transports.testing import make_transport


@pytest.fixture
def transport(app):
    secrets = {"appSecret": "s3cret", "accessToken": "tok"}
    return make_transport(app=app, whatsapp=True, secrets=secrets)


@pytest.fixture
def unmatched_event(transport):
    payload = {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [
        {"id": "wamid.LATE", "status": "delivered", "timestamp": "1732450000", "recipient_id": "15550100001"}
    ]}}]}]}
    event = WebhookEvent.objects.create(transport=transport, body_sha256="x", payload=payload)
    from broadcasts.services.webhooks.events import webhook_event_process

    webhook_event_process(event_id=event.pk)
    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.UNMATCHED, next_attempt_at=None)
    return event


def test_it_lists_unmatched_events_and_shows_what_waits(admin_client, unmatched_event):
    changelist = reverse("admin:broadcasts_webhookevent_changelist")
    assert admin_client.get(changelist, {"state__exact": "UNMATCHED"}).status_code == 200
    page = admin_client.get(reverse("admin:broadcasts_webhookevent_change", args=[unmatched_event.pk]))
    assert page.status_code == 200
    assert b"wamid.LATE" in page.content


def test_the_retry_action_matches_an_event_once_its_broadcast_exists(admin_client, app, transport, unmatched_event):
    session = Session.objects.create(app=app, transport=transport, total=1)
    broadcast = Broadcast.objects.create(session=session, address="15550100001", status="SENT", wamid="wamid.LATE")
    response = admin_client.post(
        reverse("admin:broadcasts_webhookevent_changelist"),
        {"action": "retry_now", "_selected_action": [unmatched_event.pk]},
    )
    assert response.status_code == 302
    unmatched_event.refresh_from_db()
    broadcast.refresh_from_db()
    assert (unmatched_event.state, broadcast.status) == ("PROCESSED", "DELIVERED")


def test_it_lists_inbound_messages(admin_client, transport):
    InboundMessage.objects.create(
        transport=transport, app=transport.app, wa_id="15550100007", message_id="wamid.IN", type="text",
        text="Hi", timestamp=timezone.now(),
    )
    assert admin_client.get(reverse("admin:broadcasts_inboundmessage_changelist")).status_code == 200
