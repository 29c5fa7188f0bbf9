"""The audit trail cannot be deleted from the admin, not even by a superuser, not even through a cascade."""

import pytest

from broadcasts.models import Broadcast, BroadcastLog, Erasure, Session, WebhookEvent
from broadcasts.selectors import session_stats
from transports.models import Transport
from transports.testing import make_transport
from whatsapp_gateway.models import App

AUDIT_MODELS = {
    "session": Session, "broadcast": Broadcast, "broadcastlog": BroadcastLog, "webhookevent": WebhookEvent,
    "erasure": Erasure,
}


@pytest.fixture
def recorded(app):
    """A running session with two broadcasts, a log, a webhook event and an erasure record."""
    transport = make_transport(app=app, name="sms")
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.PENDING, total=2,
                                     message={"content": "hi"})
    first, _ = Broadcast.objects.bulk_create(
        [Broadcast(session=session, address="+15550100001"), Broadcast(session=session, address="+15550100002")]
    )
    log = BroadcastLog.objects.create(broadcast=first, session=session, kind=BroadcastLog.Kind.NOTE, message="x")
    event = WebhookEvent.objects.create(transport=transport, body_sha256="0" * 64, payload={})
    erasure = Erasure.objects.create(app=app, counts={"broadcasts": 0})
    return {"session": session, "broadcast": first, "broadcastlog": log, "webhookevent": event, "erasure": erasure,
            "transport": transport}


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in AUDIT_MODELS.items()}


@pytest.mark.parametrize("name", sorted(AUDIT_MODELS))
def test_it_refuses_the_delete_page_of_an_audit_record_to_a_superuser(admin_client, recorded, name):
    before = counts()
    url = f"/admin/broadcasts/{name}/{recorded[name].pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("name", sorted(AUDIT_MODELS))
def test_it_offers_no_bulk_delete_and_refuses_one_posted_anyway(admin_client, recorded, name):
    before = counts()
    changelist = f"/admin/broadcasts/{name}/"
    page = admin_client.get(changelist)
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [str(recorded[name].pk)],
                                   "post": "yes"})
    assert counts() == before


def test_a_running_sessions_counts_still_add_up_after_every_delete_attempt(admin_client, recorded):
    session = recorded["session"]
    for name in AUDIT_MODELS:
        admin_client.post(f"/admin/broadcasts/{name}/", {"action": "delete_selected", "post": "yes",
                                                         "_selected_action": [str(recorded[name].pk)]})
    session.refresh_from_db()
    assert session.status == Session.Status.PENDING
    assert session.total == 2 and session_stats(session=session)["total"] == 2


@pytest.mark.parametrize("path", ["whatsapp_gateway/app", "transports/transport"])
def test_it_refuses_to_delete_an_app_or_transport_that_would_take_audit_records_with_it(admin_client, recorded, path):
    target = recorded["session"].app if path.endswith("app") else recorded["transport"]
    before = counts()
    url = f"/admin/{path}/{target.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "<title>Cannot delete" in page
    assert admin_client.post(url, {"post": "yes"}).status_code in (200, 403)  # the page again, or refused
    admin_client.post(f"/admin/{path}/", {"action": "delete_selected", "_selected_action": [str(target.pk)],
                                          "post": "yes"})
    assert counts() == before
    assert App.objects.filter(pk=recorded["session"].app_id).exists()
    assert Transport.objects.filter(pk=recorded["transport"].pk).exists()


def test_an_app_without_audit_records_can_still_be_deleted(admin_client, other_app):
    assert admin_client.post(f"/admin/whatsapp_gateway/app/{other_app.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not App.objects.filter(pk=other_app.pk).exists()
