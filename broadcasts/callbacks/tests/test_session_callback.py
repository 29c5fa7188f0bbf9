"""A session's own callback_url: its events (and no other session's) go there, signed with a secret shown once."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from broadcasts.callbacks.models import SESSION_CALLBACK_EVENTS, Callback, CallbackDelivery, CallbackEvent
from broadcasts.callbacks.services.delivery import callback_deliver
from broadcasts.callbacks.services.endpoints import callback_create
from broadcasts.callbacks.services.events import (
    broadcast_events_record,
    inbound_events_record,
    template_status_events_record,
)
from broadcasts.callbacks.tests.verifier import docs_verify
from broadcasts.models import Broadcast, InboundMessage, Session
from broadcasts.services.sessions import session_cancel
from transports.models import Transport

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    from broadcasts.services import queueing

    monkeypatch.setattr(queueing, "enqueue_callback_delivery", lambda callback_id, countdown=0.0: None)


@pytest.fixture
def hook(sim_transport, receiver):
    """Alice's transport, and a receiver the network guard allows (after the transport set the allowed hosts)."""
    return sim_transport, receiver


def create(api, transport, *, callback_url=None, recipients=("+14155550123", "+14155550124"), **headers):
    body = {"transport": transport["id"], "message": HELLO, "recipients": list(recipients)}
    if callback_url is not None:
        body["callback_url"] = callback_url
    return api.post("/api/v1/sessions", body, format="json", **headers)


def record_sent(session_id) -> None:
    """Every broadcast of the session reported sent and delivered, as the status webhooks record them."""
    rows = Broadcast.objects.filter(session_id=session_id).values_list("pk", "session_id")
    moved = [(pk, session, ["SENT", "DELIVERED"]) for pk, session in rows]
    broadcast_events_record(moved=moved)


def test_the_secret_is_answered_once_and_the_session_shows_its_callback_url(api, hook):
    transport, receiver = hook
    answer = create(api, transport, callback_url=receiver.url)
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["callback_url"] == receiver.url
    assert body["callback_secret"].startswith("whsec_") and len(body["callback_secret"]) > 40
    shown = api.get(f"/api/v1/sessions/{body['id']}").json()
    listed = api.get("/api/v1/sessions").json()
    assert shown["callback_url"] == receiver.url and "callback_secret" not in shown
    assert body["callback_secret"] not in json.dumps(shown) + json.dumps(listed)
    # Not one of the app's endpoints: it goes with the session.
    assert api.get("/api/v1/callbacks").json()["results"] == []
    without = create(api, transport).json()
    assert without["callback_url"] is None and "callback_secret" not in without
    callback = Callback.objects.get(session_id=body["id"])
    assert body["callback_secret"] not in callback.encrypted_secret
    assert callback.events == list(SESSION_CALLBACK_EVENTS)


def test_the_same_idempotent_request_again_answers_the_session_without_the_secret(api, hook):
    transport, receiver = hook
    first = create(api, transport, callback_url=receiver.url, HTTP_IDEMPOTENCY_KEY="k-1").json()
    again = create(api, transport, callback_url=receiver.url, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert "callback_secret" not in again.json() and again.json()["callback_url"] == receiver.url
    assert Callback.objects.count() == 1
    other_url = create(api, transport, callback_url=receiver.url + "&v=2", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other_url.status_code == 409  # another callback_url is another request


def test_only_its_own_sessions_events_are_recorded_for_it(api, app, hook):
    transport, receiver = hook
    own = create(api, transport, callback_url=receiver.url).json()
    other = create(api, transport).json()
    app_wide, _ = callback_create(app=app, url=receiver.url + "&all=1")
    for session_id in (own["id"], other["id"]):
        record_sent(session_id)
        session_cancel(session=Session.objects.get(pk=session_id))
    mine = Callback.objects.get(session_id=own["id"])
    delivered = CallbackDelivery.objects.filter(callback=mine).select_related("event")
    assert {d.event.session_id for d in delivered} == {Session.objects.get(pk=own["id"]).pk}
    assert sorted(d.event.type for d in delivered) == sorted(
        ["broadcast.sent", "broadcast.delivered"] * 2 + ["session.cancelled"]
    )
    # The app's endpoint still gets both sessions' events.
    assert CallbackDelivery.objects.filter(callback=app_wide).count() == 2 * delivered.count()


def test_replies_and_template_changes_are_not_sent_to_a_sessions_own_endpoint(api, app, hook):
    transport, receiver = hook
    own = create(api, transport, callback_url=receiver.url).json()
    wamid = "wamid.own.1"
    Broadcast.objects.filter(pk=Broadcast.objects.filter(session_id=own["id"]).first().pk).update(wamid=wamid)
    # A reply to its broadcast, and a template change: the app's endpoints get them (here there are none).
    message = InboundMessage.objects.create(
        transport_id=transport["id"], app=app, timestamp=timezone.now(), message_id="wamid.in.1",
        wa_id="14155550123", type="text", text="yes", payload={"context": {"id": wamid}},
    )
    assert inbound_events_record(app_id=app.pk, messages=[message]) == 0
    change = {"id": 1, "name": "hello_world", "language": "en_US", "status": "PAUSED", "previous_status": "APPROVED"}
    wa = Transport.objects.get(pk=transport["id"])
    assert template_status_events_record(None, transport=wa, changes=[change]) == 0
    assert CallbackEvent.objects.count() == 0


def test_its_events_arrive_signed_with_the_secret_the_docs_verifier_checks(api, hook):
    transport, receiver = hook
    body = create(api, transport, callback_url=receiver.url).json()
    record_sent(body["id"])
    callback = Callback.objects.get(session_id=body["id"])
    callback_deliver(callback_id=callback.pk)
    assert [e["type"] for e in receiver.events()] == ["broadcast.sent", "broadcast.delivered"] * 2
    assert {e["session"] for e in receiver.events()} == {body["id"]}
    verify = docs_verify()
    for request in receiver.requests:
        header = request["headers"]["X-Gateway-Signature"]
        assert verify(body["callback_secret"], header, request["body"])
        assert not verify("whsec_someone-else", header, request["body"])


@pytest.mark.parametrize("url", ["http://10.0.0.5/events", "http://169.254.169.254/latest/meta-data",
                                 "ftp://example.com/x", "http://user:pw@example.com/x", "not a url"])
def test_a_url_the_network_guard_refuses_is_a_400_naming_callback_url_and_nothing_is_stored(api, hook, url):
    transport, _ = hook
    answer = create(api, transport, callback_url=url)
    assert answer.status_code == 400 and "callback_url" in answer.json(), answer.json()
    assert (Session.objects.count(), Broadcast.objects.count(), Callback.objects.count()) == (0, 0, 0)


def test_a_csv_send_takes_a_callback_url_too(api, hook):
    transport, receiver = hook

    def upload(callback_url):
        return api.post("/api/v1/sessions", {
            "transport": str(transport["id"]), "message": json.dumps(HELLO), "callback_url": callback_url,
            "recipients_csv": SimpleUploadedFile("people.csv", b"phone\r\n+14155550123\r\n", content_type="text/csv"),
        }, format="multipart")

    refused = upload("http://10.0.0.5/events")
    assert refused.status_code == 400 and "callback_url" in refused.json()
    assert Session.objects.count() == 0
    answer = upload(receiver.url)
    assert answer.status_code == 202, answer.json()
    assert answer.json()["callback_url"] == receiver.url and answer.json()["callback_secret"].startswith("whsec_")


def test_another_apps_sessions_never_reach_it_nor_see_it(api, other_api, other_app, hook, simulator):
    transport, receiver = hook
    own = create(api, transport, callback_url=receiver.url).json()
    mine = Callback.objects.get(session_id=own["id"])
    theirs = Session.objects.create(app=other_app, transport=_other_transport(other_app, simulator.base_url), total=1)
    Broadcast.objects.create(session=theirs, address="14155550123")
    callback_create(app=other_app, url=receiver.url + "&charlie=1")
    record_sent(theirs.pk)
    session_cancel(session=theirs)
    assert CallbackEvent.objects.filter(session=theirs).exists()  # recorded for Charlie's own endpoint
    assert not CallbackDelivery.objects.filter(callback=mine).exists()
    assert other_api.get(f"/api/v1/sessions/{own['id']}").status_code == 404
    assert receiver.url not in json.dumps(other_api.get("/api/v1/sessions").json())
    assert mine.pk not in [row["id"] for row in other_api.get("/api/v1/callbacks").json()["results"]]
    assert other_api.get(f"/api/v1/callbacks/{mine.pk}").status_code == 404


def _other_transport(other_app, base_url: str) -> Transport:
    from transports.services import transport_create
    from transports.whatsapp.preset import whatsapp_cloud_config

    config = whatsapp_cloud_config(
        phone_number_id="100000000000009", business_account_id="200000000000009", base_url=base_url
    )
    return transport_create(app=other_app, name="wa", config=config, secrets={"accessToken": "tok"})


def test_operators_see_which_session_an_endpoint_belongs_to_and_never_its_secret(api, admin_client, hook):
    from django.urls import reverse

    transport, receiver = hook
    body = create(api, transport, callback_url=receiver.url).json()
    callback = Callback.objects.get(session_id=body["id"])
    page = admin_client.get(reverse("admin:callbacks_callback_change", args=[callback.pk]))
    assert page.status_code == 200
    assert body["id"] in page.content.decode() and body["callback_secret"] not in page.content.decode()
