"""Callbacks end to end: a real worker, the simulator as Meta, and a real receiver (aiohttp) that goes away a while.

Every event of a session arrives, signed, in sequence per broadcast, none lost while the receiver
was down; a rotated secret verifies; a second app's endpoint receives nothing of the first's.
"""

import hashlib
import hmac
import json
import time
from functools import partial

import pytest

from broadcasts.callbacks.models import CallbackAttempt, CallbackEvent
from broadcasts.callbacks.tests.receiver import CallbackReceiver
from broadcasts.callbacks.tests.verifier import docs_verify
from broadcasts.models import Broadcast
from broadcasts.testing import wait_until
from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS, WorkerProcess, whatsapp_transport_via_api

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}
RECIPIENTS = [f"+1202555{i:04d}" for i in range(4)]
wait_until = partial(wait_until, timeout=60.0)  # a receiver that was down catches up on its backlog


@pytest.fixture
def receivers(settings):
    with CallbackReceiver() as alices, CallbackReceiver() as charlies:
        yield alices, charlies


@pytest.fixture
def live(simulator, receivers, settings):
    hosts = [simulator.base_url.split("://", 1)[1], *(receiver.host for receiver in receivers)]
    settings.TRANSPORT_ALLOWED_HOSTS = hosts
    env = {"TRANSPORT_ALLOWED_HOSTS": ",".join(hosts), "CALLBACK_RETRY_BASE": "0.3", "CALLBACK_TIMEOUT": "2"}
    worker = WorkerProcess(extra_env=env, beat=True).start()
    yield worker
    worker.stop(grace=TEARDOWN_GRACE_SECONDS)



def meta_webhook(client, transport, value: dict) -> None:
    """A signed Meta webhook to the gateway (the demo app secret), processed by the worker."""
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "200000000000001", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
                                       "metadata": {"phone_number_id": "100000000000001"}, **value},
    }]}]}).encode()
    signature = "sha256=" + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
    answer = client.post(f"/webhooks/whatsapp/{transport['id']}", data=body, content_type="application/json",
                         HTTP_X_HUB_SIGNATURE_256=signature)
    assert answer.status_code == 200


def statuses(client, transport, messages, status):
    meta_webhook(client, transport, {"statuses": [
        {"id": m["wamid"], "status": status, "timestamp": str(int(time.time())), "recipient_id": m["wa_id"],
         "biz_opaque_callback_data": m["payload"]["biz_opaque_callback_data"]} for m in messages
    ]})


def of_type(receiver, kind: str) -> list[dict]:
    return [event for event in receiver.events() if event["type"] == kind]


def test_every_event_of_a_session_arrives_signed_in_sequence_with_none_lost_while_the_receiver_was_down(
    app, api, other_api, client, simulator, receivers, live
):
    alices, charlies = receivers
    made = api.post("/api/v1/callbacks", {"url": alices.url}, format="json").json()
    charlie = other_api.post("/api/v1/callbacks", {"url": charlies.url}, format="json")
    assert charlie.status_code == 201
    secrets = [made["secret"]]
    transport = whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")
    recipients = [{"address": number, "reference": f"order-{i}"} for i, number in enumerate(RECIPIENTS)]
    answer = api.post("/api/v1/sessions", {"transport": transport["id"], "message": HELLO, "recipients": recipients},
                      format="json")
    assert answer.status_code == 202, answer.content
    session = answer.json()["id"]

    wait_until(lambda: of_type(alices, "session.completed"), what="the session's events")
    wait_until(lambda: len(of_type(alices, "broadcast.sent")) == 4, what="the sent events")
    sent = simulator.messages()
    ids = dict(Broadcast.objects.filter(session_id=session).values_list("address", "id"))
    # Meta got the broadcast id and the integrator's reference in biz_opaque_callback_data.
    assert {m["payload"]["biz_opaque_callback_data"] for m in sent} == {
        f"wg-broadcast:{ids[n.lstrip('+')]}:order-{i}" for i, n in enumerate(RECIPIENTS)
    }

    # The receiver goes away; Meta reports deliveries meanwhile; the gateway keeps trying, then it is back.
    alices.down()
    statuses(client, transport, sent, "delivered")
    wait_until(lambda: CallbackAttempt.objects.filter(ok=False).count() >= 3, what="failed attempts")
    assert not of_type(alices, "broadcast.delivered")
    alices.up()
    wait_until(lambda: len(of_type(alices, "broadcast.delivered")) == 4, what="the held events, once it is back")

    # A rotation: the new secret signs from now on, the previous one beside it.
    rotated = api.post(f"/api/v1/callbacks/{made['id']}/rotate")
    assert rotated.status_code == 200
    secrets.append(rotated.json()["secret"])
    rotated_at = len(alices.requests)
    statuses(client, transport, sent, "read")
    reply = {"from": sent[0]["wa_id"], "id": "wamid.REPLY1", "timestamp": str(int(time.time())), "type": "text",
             "text": {"body": "Thanks!"}, "context": {"from": "15550001111", "id": sent[0]["wamid"]}}
    meta_webhook(client, transport, {"contacts": [{"wa_id": sent[0]["wa_id"], "profile": {"name": "Ana"}}],
                                     "messages": [reply]})
    wait_until(lambda: len(of_type(alices, "broadcast.read")) == 4 and of_type(alices, "inbound.message"),
               what="the read and reply events")

    verify = docs_verify()
    for index, request in enumerate(alices.requests):
        header = request["headers"]["X-Gateway-Signature"]
        if index < rotated_at:
            assert verify(secrets[0], header, request["body"]), index
        else:
            assert verify(secrets[1], header, request["body"]) and verify(secrets[0], header, request["body"]), index
            assert header.count("v1=") == 2

    # None lost: every event recorded for the app arrived (at least once), and each broadcast's in sequence.
    first_arrivals = {}
    for event in alices.events():
        first_arrivals.setdefault(event["id"], event)
    recorded = set(CallbackEvent.objects.filter(app=app).values_list("id", flat=True))
    assert {str(pk) for pk in recorded} == set(first_arrivals)
    per_broadcast: dict[int, list[int]] = {}
    for event in first_arrivals.values():
        if event["broadcast"]:
            per_broadcast.setdefault(event["broadcast"], []).append(event["sequence"])
    assert sorted(per_broadcast) == sorted(ids.values())
    for broadcast, sequence in per_broadcast.items():
        expected = [1, 2, 3, 4] if broadcast == ids[sent[0]["wa_id"]] else [1, 2, 3]
        assert sequence == expected, (broadcast, sequence)
    kinds = [event["type"] for event in first_arrivals.values()]
    assert kinds.count("session.started") == kinds.count("session.completed") == 1
    assert kinds.count("broadcast.sent") == kinds.count("broadcast.delivered") == kinds.count("broadcast.read") == 4
    [answer_event] = of_type(alices, "inbound.message")
    replied_to = sent[0]["wa_id"]  # the reply answers the first message the simulator got, whichever it was
    expected = (ids[replied_to], f"order-{RECIPIENTS.index('+' + replied_to)}")
    assert (answer_event["broadcast"], answer_event["reference"]) == expected
    references = {event["reference"] for event in first_arrivals.values() if event["type"] == "broadcast.read"}
    assert references == {f"order-{i}" for i in range(4)}

    # The other app's endpoint never received any of it.
    assert charlies.requests == []
