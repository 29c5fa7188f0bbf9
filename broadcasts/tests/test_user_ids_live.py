"""Users known by a business-scoped user id (BSUID) end to end: sent in `recipient`, matched, heard from, erased.

A real worker and the simulator as Meta, whose status and inbound webhooks reach the live gateway.
"""


import pytest
import requests

from broadcasts.models import Broadcast, InboundMessage
from broadcasts.services.webhooks.inbound import inbound_window_open
from broadcasts.testing import wait_until
from simulator.webhook_events import user_id
from templates.models import Template
from transports.models import Transport
from whatsapp_gateway.testing import webhooked_whatsapp_transport

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ANA = "12025550111"  # has a username: Meta names her by user id only
BEN = "12025550112"



@pytest.fixture
def transport(api, simulator, settings, live_server):
    with webhooked_whatsapp_transport(api, simulator, settings, live_server, usernames={ANA: "ana.shop"}) as created:
        yield created


def test_a_user_id_is_sent_in_recipient_and_its_statuses_match(api, simulator, transport):
    ana = user_id(ANA)
    answer = api.post("/api/v1/sessions", {
        "transport": transport["id"], "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "recipients": [ana, f"+{BEN}"],
    }, format="json")
    assert answer.status_code == 202, answer.content
    session = answer.json()["id"]

    wait_until(lambda: Broadcast.objects.filter(session_id=session, status="READ").count() == 2,
               what="both recipients to read, from Meta's webhooks")

    by_address = {m["to"]: m["payload"] for m in simulator.messages()}
    assert by_address[ana].get("recipient") == ana and "to" not in by_address[ana]
    assert by_address[BEN]["to"] == BEN and "recipient" not in by_address[BEN]
    stored = Broadcast.objects.get(session_id=session, address=ana)
    assert stored.wamid == simulator.messages(to=ana)[0]["wamid"]
    assert api.get(f"/api/v1/sessions/{session}").json()["stats"]["read"] == 2


def test_a_user_without_a_number_writes_in_under_their_user_id(api, simulator, transport):
    answer = requests.post(f"{simulator.base_url}/_sim/inbound", json={"from": ANA, "text": "Hi there"}, timeout=5)
    assert answer.status_code == 200

    wait_until(lambda: InboundMessage.objects.exists(), what="the inbound message")

    inbound = InboundMessage.objects.get()
    assert (inbound.wa_id, inbound.user_id, inbound.username, inbound.text) == (
        user_id(ANA), user_id(ANA), "ana.shop", "Hi there"
    )
    assert inbound_window_open(transport=Transport.objects.get(pk=transport["id"]), address=user_id(ANA))

    # Erased by user id like by number: the message goes, and nothing of hers is left.
    erased = api.post("/api/v1/recipients/erase", {"address": user_id(ANA)}, format="json")
    assert erased.status_code == 200, erased.content
    assert not InboundMessage.objects.exists()


def test_a_passcode_to_a_user_id_is_refused_before_meta_is_asked(api, simulator, transport):
    Template.objects.filter(name="order_confirmation").update(category=Template.Category.AUTHENTICATION)
    answer = api.post("/api/v1/sessions", {
        "transport": transport["id"],
        "message": {"meta": {"templateName": "order_confirmation", "language": "en_US", "parameters": ["A-1"]}},
        "recipients": [user_id(ANA)],
    }, format="json")
    assert answer.status_code == 400, answer.content
    assert "131062" in str(answer.json())
    assert simulator.messages() == []
